/**
 * `classify --queue`: the videos still to do go out as classify-shard jobs of `shardSize`
 * videos; each worker runs the local classifier on its shard and returns the rows, which the
 * coordinator writes exactly as a local run would (one row per video, same output file).
 *
 * Shards are cut from the whole input list, so a rerun after a killed coordinator makes the same
 * jobs (same ids): finished shards are read back from Redis instead of being classified again.
 * A shard that fails all its attempts becomes error rows naming the reason (retried on a rerun,
 * like any error row).
 */
import { existsSync, statSync } from 'node:fs';
import type { ClassifyRow, VideoClassifier } from '../jobs/classify.ts';
import { videoKey } from '../predictions.ts';
import { type Coordinator, jobIdFor } from './coordinator.ts';
import { DEFAULT_CLASSIFY_SHARD_SIZE } from './defaults.ts';
import type { ClassifyShardPayload } from './kinds.ts';

export interface QueueClassifierInput {
  /** Every input video, in input order (shards are cut from this list). */
  videos: string[];
  /** The resolved checkpoint folder (a step-* folder): every worker loads this one. */
  checkpoint: string;
  cacheDir: string;
  out: string;
  clips?: number;
  top?: number;
  shardSize?: number;
}

export function shardsOf<T>(items: readonly T[], size: number): T[][] {
  const shards: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    shards.push(items.slice(start, start + size));
  return shards;
}

export function queueClassifier(
  coordinator: Coordinator,
  input: QueueClassifierInput,
): VideoClassifier {
  return async (todo, onRow) => {
    const wanted = new Set(todo);
    const shards = shardsOf(input.videos, input.shardSize ?? DEFAULT_CLASSIFY_SHARD_SIZE).filter(
      (shard) => shard.some((video) => wanted.has(video)),
    );
    // the same checkpoint folder rewritten (a newer run) must not reuse old results
    const checkpointStamp = statSync(input.checkpoint).mtimeMs;
    const specs = shards.map((videos) => {
      const payload: ClassifyShardPayload = {
        checkpoint: input.checkpoint,
        videos,
        missing: videos.filter((video) => !existsSync(video)),
        cacheDir: input.cacheDir,
        ...(input.clips ? { clips: input.clips } : {}),
        ...(input.top ? { top: input.top } : {}),
      };
      // a finished job is reused only for the same output, checkpoint and unchanged videos
      const videoStamps = videos.map((video) => {
        const stat = statSync(video, { throwIfNoEntry: false });
        return stat ? [stat.size, stat.mtimeMs] : null;
      });
      return {
        kind: 'classify-shard' as const,
        id: jobIdFor('classify', input.out, checkpointStamp, videoStamps, payload),
        payload,
      };
    });
    const results = await coordinator.run<ClassifyRow[]>(specs);
    const emit = (row: ClassifyRow) => {
      if (!wanted.delete(row.video)) return; // done by an earlier run
      onRow(row);
    };
    await Promise.all(
      results.map((result, i) =>
        result.then(
          (rows) => rows.forEach(emit),
          (error: Error) => {
            for (const video of shards[i]!)
              emit({ video, id: videoKey(video), error: error.message });
          },
        ),
      ),
    );
  };
}
