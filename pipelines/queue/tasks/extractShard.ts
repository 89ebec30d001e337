/**
 * Task of an extract-shard job (run by the worker in a child process): extractDataset over the
 * shard's videos into the shared clip cache; the summary goes back to the coordinator.
 */
import { extractDataset, type ExtractSummary } from '../../../src/index.ts';
import type { ExtractShardPayload } from '../kinds.ts';

export default async function extractShardTask(
  payload: ExtractShardPayload,
): Promise<ExtractSummary> {
  const { items, missing: _missing, ...options } = payload;
  return extractDataset({ items }, options);
}
