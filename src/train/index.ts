/** Training: schedules, losses, SGD with momentum, batch sources and prefetch, the loop, checkpoints, progress. */
export * from './schedule.ts';
export * from './losses.ts';
export * from './optimizer.ts';
export * from './records.ts';
export * from './prefetch.ts';
// disposeBatch stays internal: src/data/clipBatches.ts exports the public one (ClipBatch fits Batch)
export { epochPlan, shuffledBatches } from './batches.ts';
export type {
  Batch,
  BatchSource,
  EpochContext,
  EpochPlanOptions,
  ShuffledBatchesOptions,
} from './batches.ts';
export * from './checkpoint.ts';
export * from './loop.ts';
export * from './stepProgress.ts';
export * from './metricsLog.ts';
