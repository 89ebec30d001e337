/**
 * What the training loop consumes: batches of named 4-D inputs and labels, produced per epoch
 * from the seeded RNG so that a resumed run sees exactly the same data order.
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { Rng } from '../util/random.ts';
import { mapConcurrent, prefetch } from './prefetch.ts';

/** One training batch. The loop disposes its tensors after the step. */
export interface Batch {
  /** Stream name -> [batch*frames, height, width, channels] (e.g. `rgb`, `flow`). */
  inputs: Record<string, Tensor4D>;
  /** [batch] int32 class indices, or [batch, classes] multi-hot floats. */
  labels: Tensor;
}

/** Handed to a batch factory at the start of (or when resuming inside) an epoch. */
export interface EpochContext {
  /** 0-based epoch number. */
  epoch: number;
  /** A generator seeded for this epoch only: same epoch seed, same data order and augmentation. */
  rng: Rng;
  /** Batches of this epoch already trained on (resume): yield from this batch on. */
  startBatch: number;
}

/**
 * Where batches come from: a factory called once per epoch (resumable exactly), or a plain
 * stream treated as one epoch (on resume its first batches are drawn and dropped).
 */
export type BatchSource =
  | ((context: EpochContext) => AsyncIterable<Batch> | Iterable<Batch>)
  | AsyncIterable<Batch>
  | Iterable<Batch>;

export function disposeBatch(batch: Batch): void {
  tf.dispose(Object.values(batch.inputs));
  tf.dispose(batch.labels);
}

export interface EpochPlanOptions {
  /** Number of samples in the dataset. */
  count: number;
  batchSize: number;
  /** Shuffle the samples (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default true: every step sees the same batch size). */
  dropRemainder?: boolean;
}

/** Sample indices of every batch of one epoch, in order; the shuffle draws from `rng`. */
export function epochPlan(rng: Rng, options: EpochPlanOptions): number[][] {
  const { count, batchSize } = options;
  if (!Number.isInteger(count) || count < 0)
    throw new InputError(`batches: expected count >= 0, got ${count}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InputError(`batches: expected batchSize >= 1, got ${batchSize}`);
  }
  const order =
    options.shuffle === false ? Array.from({ length: count }, (_, i) => i) : rng.permutation(count);
  const plan: number[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    if (indices.length < batchSize && options.dropRemainder !== false) break;
    plan.push(indices);
  }
  return plan;
}

export interface ShuffledBatchesOptions extends EpochPlanOptions {
  /**
   * Builds one batch from sample indices. `rng` is private to this batch (seeded from the epoch
   * and the batch number), so augmentation does not depend on which batches were skipped.
   */
  load: (indices: number[], rng: Rng, batchIndex: number) => Promise<Batch> | Batch;
  /** Batches loaded at the same time (e.g. worker-pool decodes). Default 1. */
  concurrency?: number;
  /** Finished batches kept ready ahead of the training step. Default 2. */
  prefetchDepth?: number;
}

/**
 * A resumable {@link BatchSource}: per epoch, shuffle the sample indices with the epoch's RNG,
 * cut them into batches, load from `startBatch` on with `concurrency` loads in flight and
 * `prefetchDepth` batches ready ahead.
 */
export function shuffledBatches(
  options: ShuffledBatchesOptions,
): (context: EpochContext) => AsyncIterable<Batch> {
  return (context) => {
    const plan = epochPlan(context.rng, options);
    const augmentSeed = context.rng.nextUint32();
    const todo = plan
      .map((indices, batchIndex) => ({ indices, batchIndex }))
      .slice(context.startBatch);
    const loaded = mapConcurrent(
      todo,
      ({ indices, batchIndex }) =>
        options.load(indices, Rng.fromSeed(augmentSeed * 2 ** 20 + batchIndex), batchIndex),
      options.concurrency ?? 1,
      { dispose: disposeBatch },
    );
    return prefetch(loaded, options.prefetchDepth ?? 2, { dispose: disposeBatch });
  };
}
