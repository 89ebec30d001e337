/**
 * The training loop: batches -> forward -> loss -> gradients -> (clip) -> SGD update, with
 * per-step records, epoch summaries, periodic checkpoints and exact resume.
 *
 * Determinism: the run's RNG (seeded by `seed`) draws one seed per epoch; the batch factory
 * gets a generator seeded with it and the number of batches already done. Checkpoints store
 * the run's RNG, the epoch seed and the batch count, so a killed-and-resumed run sees the same
 * batches in the same order and ends with the same weights as an uninterrupted one (on the same
 * backend, with a model whose forward pass is deterministic).
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.ts';
import { EngineError, InputError } from '../errors.ts';
import { checkMemory } from '../engine/memoryGuard.ts';
import { Rng } from '../util/random.ts';
import { disposeBatch, type Batch, type BatchSource } from './batches.ts';
import {
  restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
  type CheckpointMeta,
  type NamedVariables,
} from './checkpoint.ts';
import type { LossFn, Scalar } from './losses.ts';
import type { SgdMomentum } from './optimizer.ts';
import { emptyTotals, type EpochRecord, type StepRecord, type TrainProgress } from './records.ts';
import type { LrSchedule } from './schedule.ts';

/** Any network the loop can train. */
export interface TrainableModel {
  readonly trainableVariables: readonly Variable[];
  /**
   * Every variable to checkpoint by a stable name (trainable and not, e.g. batch-norm moving
   * statistics). Default: the trainable variables under their engine names.
   */
  readonly variables?: NamedVariables;
  /** inputs -> logits [batch, classes]. */
  apply(inputs: Record<string, Tensor4D>, training: boolean): Tensor2D;
}

/** A per-step metric from logits [batch, classes] and the batch labels. */
export type StepMetric = (logits: Tensor2D, labels: Tensor) => Scalar;

export interface CheckpointPolicy {
  /** Root folder of the run's `step-*` checkpoints. */
  dir: string;
  /** Save every N steps (0 / unset: only at epoch ends and at the end). */
  everySteps?: number;
  /** Save at the end of every epoch (default true). */
  atEpochEnd?: boolean;
  /** Newest checkpoints kept (default 3). */
  keep?: number;
  /** Genome, options, class list stored in checkpoint.json. */
  meta?: CheckpointMeta;
}

export interface TrainOptions {
  model: TrainableModel;
  batches: BatchSource;
  optimizer: SgdMomentum;
  schedule: LrSchedule;
  loss: LossFn;
  metric?: StepMetric;
  /** Stop after this many steps in total (counting steps before a resume). */
  steps?: number;
  /** Stop after this many epochs in total. */
  epochs?: number;
  /** Seed of the run's RNG (data order). Ignored when resuming: the checkpoint's state wins. */
  seed?: number | string;
  /** Clip gradients to this global L2 norm. */
  clipNorm?: number;
  /** Stop with an error on a NaN/inf loss (default true); false skips that update. */
  failOnNonFinite?: boolean;
  /** Called once before the first step, after a resume was restored (set up progress/logs here). */
  onStart?: (start: { progress: TrainProgress; resumedFrom?: string }) => void | Promise<void>;
  onStep?: (record: StepRecord) => void | Promise<void>;
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  onCheckpoint?: (path: string, progress: TrainProgress) => void | Promise<void>;
  checkpoint?: CheckpointPolicy;
  /** A checkpoint folder (or a root of `step-*` folders) to continue from. */
  resume?: string;
  /** Stops after the current step; the result says `aborted`. */
  signal?: AbortSignal;
}

export interface TrainResult {
  progress: TrainProgress;
  stoppedBy: 'steps' | 'epochs' | 'exhausted' | 'aborted';
  /** The checkpoint the run continued from. */
  resumedFrom?: string;
  /** The last checkpoint written by this call. */
  lastCheckpoint?: string;
}

/** Stable-name -> variable map of a model (its `variables`, else trainable ones by engine name). */
export function modelVariables(model: TrainableModel): NamedVariables {
  return model.variables ?? Object.fromEntries(model.trainableVariables.map((v) => [v.name, v]));
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new InputError(`train: expected ${name} to be an integer >= 0, got ${value}`);
  }
}

function examplesIn(batch: Batch): number {
  return batch.labels.shape[0] ?? 0;
}

/** Trains `model` until `steps` or `epochs` is reached (or the data ends); see the module doc. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, optimizer, schedule, loss, metric } = options;
  checkCount('steps', options.steps);
  checkCount('epochs', options.epochs);
  if (
    options.steps === undefined &&
    options.epochs === undefined &&
    typeof options.batches === 'function'
  ) {
    throw new InputError(
      'train: expected steps or epochs with a per-epoch batch factory, got neither',
    );
  }
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) {
    throw new InputError(`train: expected clipNorm > 0, got ${options.clipNorm}`);
  }
  const variables = modelVariables(model);
  const trainable = [...model.trainableVariables];
  if (trainable.length === 0)
    throw new InputError('train: expected a model with trainable variables, got none');

  let progress: TrainProgress;
  let resumedFrom: string | undefined;
  if (options.resume) {
    const state = await restoreTrainingCheckpoint(options.resume, { variables, optimizer });
    progress = structuredClone(state.progress);
    resumedFrom = state.path;
  } else {
    progress = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      rng: Rng.fromSeed(options.seed ?? 0).state(),
      epochSeed: null,
      epochTotals: emptyTotals(),
      epochs: [],
      lastStep: null,
    };
  }
  const runRng = Rng.fromState(progress.rng);
  const policy = options.checkpoint;
  let lastCheckpoint: string | undefined;
  // the position last written (or resumed from): saving it again would change nothing
  let savedAt = resumedFrom ? `${progress.step}/${progress.epoch}` : '';

  const save = async () => {
    if (!policy || savedAt === `${progress.step}/${progress.epoch}`) return;
    progress.rng = runRng.state();
    const path = await saveTrainingCheckpoint(
      policy.dir,
      {
        variables,
        optimizer,
        progress,
        schedule: schedule.config,
        ...(policy.meta ? { meta: policy.meta } : {}),
      },
      { keep: policy.keep ?? 3 },
    );
    lastCheckpoint = path;
    savedAt = `${progress.step}/${progress.epoch}`;
    await options.onCheckpoint?.(path, structuredClone(progress));
  };

  await options.onStart?.({
    progress: structuredClone(progress),
    ...(resumedFrom ? { resumedFrom } : {}),
  });

  const stepLimitReached = () => options.steps !== undefined && progress.step >= options.steps;
  const epochLimitReached = () => options.epochs !== undefined && progress.epoch >= options.epochs;
  let stoppedBy: TrainResult['stoppedBy'] | undefined;

  while (!stoppedBy) {
    if (stepLimitReached()) stoppedBy = 'steps';
    else if (epochLimitReached()) stoppedBy = 'epochs';
    else if (options.signal?.aborted) stoppedBy = 'aborted';
    if (stoppedBy) break;

    if (progress.epochSeed === null) {
      progress.epochSeed = runRng.nextUint32();
      progress.batchInEpoch = 0;
      progress.epochTotals = emptyTotals();
    }
    const source = options.batches;
    const iterable =
      typeof source === 'function'
        ? source({
            epoch: progress.epoch,
            rng: Rng.fromSeed(progress.epochSeed),
            startBatch: progress.batchInEpoch,
          })
        : source;
    let toSkip = typeof source === 'function' ? 0 : progress.batchInEpoch;
    let epochCut = false;
    let waitStart = performance.now();
    const iterator: Iterator<Batch> | AsyncIterator<Batch> =
      Symbol.asyncIterator in iterable
        ? iterable[Symbol.asyncIterator]()
        : iterable[Symbol.iterator]();
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const batch = next.value;
        if (toSkip > 0) {
          toSkip--;
          disposeBatch(batch);
          continue;
        }
        let record: StepRecord;
        try {
          record = await runStep(batch, waitStart);
        } finally {
          disposeBatch(batch);
        }
        // Past the wasm heap limit results may already be wrong (see memoryGuard.ts): stop with an
        // EngineError that says what to lower, before the next step computes on them.
        checkMemory(0, `training step ${progress.step + 1}`);
        await options.onStep?.(record);
        if (policy?.everySteps && progress.step % policy.everySteps === 0) await save();
        if (options.signal?.aborted) {
          epochCut = true;
          break;
        }
        if (stepLimitReached()) {
          // A limit that lands on the epoch's last batch still closes the epoch (its record and
          // save); one that lands inside it cuts the epoch and drops the batch drawn to tell.
          const after = await iterator.next();
          if (!after.done) {
            disposeBatch(after.value);
            epochCut = true;
          }
          break;
        }
        waitStart = performance.now();
      }
    } finally {
      await iterator.return?.();
    }
    if (epochCut) continue; // the top of the loop names the reason
    if (progress.batchInEpoch === 0) {
      stoppedBy = 'exhausted';
      break;
    }
    const totals = progress.epochTotals;
    const epochRecord: EpochRecord = {
      kind: 'epoch',
      epoch: progress.epoch,
      step: progress.step,
      steps: totals.steps,
      loss: totals.lossSum / Math.max(1, totals.steps),
      examples: totals.examples,
      ...(metric ? { metric: totals.metricSum / Math.max(1, totals.steps) } : {}),
    };
    progress.epochs.push(epochRecord);
    progress.epoch++;
    progress.epochSeed = null;
    progress.batchInEpoch = 0;
    progress.epochTotals = emptyTotals();
    await options.onEpoch?.(epochRecord);
    if (policy && policy.atEpochEnd !== false) await save();
    if (typeof source !== 'function') {
      stoppedBy = epochLimitReached() ? 'epochs' : 'exhausted'; // a plain stream is one pass
    }
  }
  await save();
  progress.rng = runRng.state();
  return {
    progress,
    stoppedBy,
    ...(resumedFrom ? { resumedFrom } : {}),
    ...(lastCheckpoint ? { lastCheckpoint } : {}),
  };

  async function runStep(batch: Batch, waitStart: number): Promise<StepRecord> {
    const lr = schedule.lrAt(progress.step);
    let logits: Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const output = model.apply(batch.inputs, true);
      if (metric) logits = tf.keep(output);
      return loss(output, batch.labels);
    }, trainable);
    const kept: Tensor[] = [value, ...Object.values(grads)];
    try {
      const gradients: (Tensor | null)[] = trainable.map((v) => grads[v.name] ?? null);
      const norm = tf.tidy(() =>
        tf.sqrt(
          tf.addN(
            gradients.filter((g): g is Tensor => g !== null).map((g) => tf.sum(tf.square(g))),
          ),
        ),
      );
      const metricValue = metric && logits ? metric(logits, batch.labels) : undefined;
      kept.push(norm, ...(metricValue ? [metricValue] : []), ...(logits ? [logits] : []));
      const [lossData, normData, metricData] = await Promise.all([
        value.data(),
        norm.data(),
        metricValue?.data(),
      ]);
      const lossNumber = lossData[0]!;
      const gradNorm = normData[0]!;
      const finite = Number.isFinite(lossNumber) && Number.isFinite(gradNorm);
      if (!finite && options.failOnNonFinite !== false) {
        throw new EngineError(
          `train: expected a finite loss and gradient norm, got loss ${lossNumber}, norm ${gradNorm} at step ${progress.step + 1}`,
        );
      }
      if (finite) {
        let applied = gradients;
        if (options.clipNorm !== undefined && gradNorm > options.clipNorm) {
          const scale = options.clipNorm / gradNorm;
          applied = gradients.map((g) => (g ? tf.mul(g, scale) : null));
          kept.push(...applied.filter((g): g is Tensor => g !== null));
        }
        optimizer.update(trainable, applied, lr);
      }
      const examples = examplesIn(batch);
      progress.step++;
      progress.batchInEpoch++;
      const totals = progress.epochTotals;
      totals.steps++;
      totals.lossSum += lossNumber;
      totals.examples += examples;
      const record: StepRecord = {
        kind: 'step',
        step: progress.step,
        epoch: progress.epoch,
        batchInEpoch: progress.batchInEpoch,
        loss: lossNumber,
        lr,
        gradNorm,
        examples,
        stepMs: performance.now() - waitStart,
      };
      if (metricData) {
        record.metric = metricData[0]!;
        totals.metricSum += record.metric;
      }
      progress.lastStep = record;
      return record;
    } finally {
      tf.dispose(kept);
      if (logits && !logits.isDisposed) logits.dispose();
    }
  }
}
