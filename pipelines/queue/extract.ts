/**
 * `extract --queue`: the videos go out as extract-shard jobs; each worker runs extractDataset on
 * its shard into the shared clip cache, and the coordinator merges the shard summaries into the
 * one summary a local run prints. A shard that fails all its attempts counts its videos as failed
 * with the reason. Job ids are new on every run: the cache, not Redis, remembers finished work
 * (a rerun finds its clips cached), so a cache deleted in between is filled again.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ExtractSummary, ExtractVideo } from '../../src/index.ts';
import { type Coordinator, jobIdFor } from './coordinator.ts';
import { DEFAULT_EXTRACT_SHARD_SIZE } from './defaults.ts';
import type { ExtractShardPayload } from './kinds.ts';
import { shardsOf } from './classify.ts';

export type ExtractShardOptions = Omit<ExtractShardPayload, 'items' | 'missing'>;

export async function extractThroughQueue(
  coordinator: Coordinator,
  items: readonly ExtractVideo[],
  options: ExtractShardOptions,
  shardSize = DEFAULT_EXTRACT_SHARD_SIZE,
  onShard?: (videos: number, clips: number) => void,
): Promise<ExtractSummary> {
  const started = Date.now();
  const shards = shardsOf(
    items.map((item) => ({
      id: item.id,
      path: item.path,
      ...(item.segments ? { segments: item.segments } : {}),
    })),
    shardSize,
  );
  const run = randomUUID();
  const specs = shards.map((shard) => {
    const payload: ExtractShardPayload = {
      items: shard,
      missing: shard.filter((item) => !existsSync(item.path)).map((item) => item.path),
      ...options,
    };
    return { kind: 'extract-shard' as const, id: jobIdFor('extract', run, payload), payload };
  });
  const clipsPerVideo = options.clips + options.trainClips;
  const results = await coordinator.run<ExtractSummary>(specs);
  const parts = await Promise.all(
    results.map((result, i) =>
      result.then(
        (summary) => {
          onShard?.(shards[i]!.length, shards[i]!.length * clipsPerVideo);
          return summary;
        },
        (error: Error): ExtractSummary => {
          onShard?.(shards[i]!.length, shards[i]!.length * clipsPerVideo);
          const shard = shards[i]!;
          return {
            total: shard.length,
            ok: 0,
            cached: 0,
            failed: shard.length,
            clipsPerVideo,
            cacheDir: options.cacheDir,
            elapsedMs: 0,
            videos: shard.map((item) => ({
              id: item.id,
              path: item.path,
              status: 'failed' as const,
              clips: 0,
              cachedClips: 0,
              recomputed: [],
              error: error.message,
            })),
            failures: shard.map((item) => ({
              id: item.id,
              path: item.path,
              reason: error.message,
            })),
          };
        },
      ),
    ),
  );
  const sum = (key: 'total' | 'ok' | 'cached' | 'failed') =>
    parts.reduce((total, part) => total + part[key], 0);
  return {
    total: sum('total'),
    ok: sum('ok'),
    cached: sum('cached'),
    failed: sum('failed'),
    clipsPerVideo,
    cacheDir: options.cacheDir,
    elapsedMs: Date.now() - started,
    videos: parts.flatMap((part) => part.videos),
    failures: parts.flatMap((part) => part.failures),
  };
}
