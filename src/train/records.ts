/** What the training loop reports and what a checkpoint must carry to resume exactly. */
import type { RngState } from '../util/random.ts';

/** One optimisation step, as passed to `onStep` and written to the metrics log. */
export interface StepRecord {
  kind: 'step';
  /** Steps completed, this one included (1 after the first update). */
  step: number;
  epoch: number;
  /** Batches of this epoch completed, this one included. */
  batchInEpoch: number;
  /** Data loss of the batch (without the L2 term). */
  loss: number;
  /** The step metric (e.g. batch accuracy), when one is given. */
  metric?: number;
  /** Learning rate used for this update. */
  lr: number;
  /** Global L2 norm of the gradients, before clipping. */
  gradNorm: number;
  /** Examples in the batch. */
  examples: number;
  /** Wall time of the step (compute + waiting for data), ms. */
  stepMs: number;
}

/** End of an epoch: means over its steps. */
export interface EpochRecord {
  kind: 'epoch';
  epoch: number;
  /** Global step count at the end of the epoch. */
  step: number;
  steps: number;
  loss: number;
  metric?: number;
  examples: number;
}

/** Running sums of the current epoch. */
export interface EpochTotals {
  steps: number;
  lossSum: number;
  metricSum: number;
  examples: number;
}

/** Everything about the position of a run that is not a tensor. */
export interface TrainProgress {
  step: number;
  epoch: number;
  batchInEpoch: number;
  /** The run's generator after drawing the current epoch's seed. */
  rng: RngState;
  /** Seed of the current epoch's data order; null between epochs. */
  epochSeed: number | null;
  epochTotals: EpochTotals;
  epochs: EpochRecord[];
  lastStep: StepRecord | null;
}

export function emptyTotals(): EpochTotals {
  return { steps: 0, lossSum: 0, metricSum: 0, examples: 0 };
}
