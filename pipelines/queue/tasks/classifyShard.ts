/**
 * Task of a classify-shard job (run by the worker in a child process): the shard's videos
 * through the checkpoint's network with the local classifier, rows returned in shard order.
 */
import { ClipPool, selectBackend } from '../../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../../src/networks/checkpointNetwork.ts';
import { classifyVideos, type ClassifyRow } from '../../jobs/classify.ts';
import type { ClassifyShardPayload } from '../kinds.ts';

export default async function classifyShardTask(
  payload: ClassifyShardPayload,
): Promise<ClassifyRow[]> {
  await selectBackend();
  const model = await loadNetworkFromCheckpoint(payload.checkpoint);
  const pool = new ClipPool();
  const rows = new Map<string, ClassifyRow>();
  try {
    await classifyVideos(
      {
        model,
        pool,
        cacheDir: payload.cacheDir,
        ...(payload.clips ? { clips: payload.clips } : {}),
        ...(payload.top ? { top: payload.top } : {}),
      },
      payload.videos,
      (row) => rows.set(row.video, row),
    );
  } finally {
    model.network.dispose();
    await pool.destroy();
  }
  return payload.videos.map((video) => rows.get(video)!);
}
