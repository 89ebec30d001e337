/**
 * The training job: extract (cache) the clips of a dataset, train a genome's network on its
 * train split with checkpoints and exact resume, then score it on the held-out split.
 *
 *   out/checkpoints/step-N/   model.json + weights.bin + checkpoint.json (genome, settings, classes)
 *   out/metrics.jsonl         one record per step and per epoch
 *   out/eval.json             held-out metrics of the final network
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EngineError,
  planBatchForHeap,
  profileTrainingStep,
  tf,
  InputError,
  MetricsLog,
  ProgressReporter,
  SgdMomentum,
  batchAccuracy,
  classificationLoss,
  cosineSchedule,
  createAssembleNet,
  extractDataset,
  genomeToJSON,
  latestCheckpoint,
  readCheckpointState,
  shuffledBatches,
  trainingClipLoader,
  train,
  type AssembleNetwork,
  type ClipItem,
  type ClipPool,
  type ClipTemplate,
  type Genome,
  type NetworkOptions,
} from '../../src/index.ts';
import type { Manifest, ManifestItem } from '../../datasets/index.ts';
import { createCountProgress } from '../countProgress.ts';
import { predictVideos } from './predict.ts';
import type { StoredRunOptions } from '../../src/networks/checkpointNetwork.ts';
import { genomeStreams, templateFor, type RunConfig } from '../../src/networks/runConfig.ts';
import { summarizeScores, type EvalSummary } from './summarize.ts';

export interface TrainJobInput {
  genome: Genome;
  manifest: Manifest;
  config: RunConfig;
  out: string;
  cacheDir: string;
  pool: ClipPool;
  resume?: boolean;
  /** Held-out split to score at the end (default: val if the manifest has one, else test). */
  evalSplit?: string;
  /** Skip the held-out scoring. */
  skipEval?: boolean;
  /**
   * The clips are already cached (by the caller's own `prepareClips`): these videos failed there
   * and are left out. Skips re-reading every cache entry (evolution candidates).
   */
  prepared?: { failed: string[] };
  /** Progress lines (default: stderr bar/lines); false silences them. */
  progress?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Sets the fresh network's starting weights (evolution's weight inheritance); not on resume. */
  initialize?: (network: AssembleNetwork) => void | Promise<void>;
}

export interface TrainJobResult {
  checkpoint: string;
  steps: number;
  seconds: number;
  eval?: EvalSummary & { split: string };
  /** Videos that could not be decoded, left out of training and scoring. */
  failed: { id: string; reason: string }[];
  network: AssembleNetwork;
}

export function toClipItem(item: ManifestItem): ClipItem {
  return {
    id: item.id,
    video: item.path,
    labels: item.labels,
    ...(item.segments ? { segments: item.segments } : {}),
  };
}

export function defaultEvalSplit(manifest: Manifest): string {
  const splits = new Set(manifest.items.map((item) => item.split));
  if (splits.has('val')) return 'val';
  if (splits.has('test')) return 'test';
  throw new InputError(
    `train: expected a val or test split to score on, got splits ${[...splits].join(', ')}`,
  );
}

/**
 * Before the first step: the working set of one training step of this genome at the run's batch
 * and clip shape, measured on a probe network (wasm only, where the heap is bounded); a step
 * that would not fit stops here with the batch that would, instead of aborting mid-run.
 */
async function checkStepFitsHeap(
  genome: Genome,
  options: NetworkOptions,
  config: RunConfig,
): Promise<void> {
  if (tf.getBackend() !== 'wasm') return;
  const probe = createAssembleNet(genome, options);
  try {
    const channels = { rgb: 3, flow: 2 } as const;
    const shapes = Object.fromEntries(
      genomeStreams(genome).map((stream) => [
        stream,
        [config.frames, config.size, config.size, channels[stream]] as const,
      ]),
    );
    const step = await profileTrainingStep(
      (inputs, training) => probe.apply(inputs, training),
      probe.trainableVariables,
      shapes,
    );
    const plan = planBatchForHeap(step, config.batch, {
      label: `a training step of ${genome.name}`,
    });
    if (plan.message)
      throw new EngineError(
        `train: ${plan.message}${plan.batch > 0 ? `; run with --batch ${plan.batch} or lower` : ''}`,
      );
  } finally {
    probe.dispose();
  }
}

export function networkOptionsFor(
  genome: Genome,
  manifest: Manifest,
  config: RunConfig,
): NetworkOptions {
  return {
    numClasses: manifest.classes.length,
    frames: config.frames,
    multiLabel: manifest.multiLabel,
    widthMultiplier: config.width,
    modulesPerLevel: config.modules,
    temporalModules: 'even',
    norm: { momentum: config.bnMomentum },
    seed: config.seed,
  };
}

/** Fills the cache for `items` with the run's clips; returns the ids of videos that failed. */
export async function prepareClips(
  items: ManifestItem[],
  template: ClipTemplate,
  config: RunConfig,
  pool: ClipPool,
  signal?: AbortSignal,
  onClip?: (videoId: string) => void,
): Promise<Map<string, string>> {
  const summary = await extractDataset(
    {
      items: items.map((item) => ({
        id: item.id,
        path: item.path,
        ...(item.segments ? { segments: item.segments } : {}),
      })),
    },
    {
      pool,
      cacheDir: template.cache!.dir,
      flow: template.flow ? template.flow.method : 'none',
      flowBound: config.flowBound,
      clips: config.testClips,
      trainClips: config.trainClips,
      frames: config.frames,
      size: config.size,
      fps: config.fps,
      streams: template.streams,
      ...(signal ? { signal } : {}),
      ...(onClip
        ? { onProgress: (event: { video: { id: string } }) => onClip(event.video.id) }
        : {}),
    },
  );
  return new Map(summary.failures.map((failure) => [failure.id, failure.reason]));
}

export async function runTrainJob(input: TrainJobInput): Promise<TrainJobResult> {
  const { genome, manifest, config, out, pool } = input;
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  mkdirSync(out, { recursive: true });
  const evalSplit = input.skipEval ? undefined : (input.evalSplit ?? defaultEvalSplit(manifest));
  const trainRows = manifest.items.filter((item) => item.split === 'train');
  const evalRows = evalSplit ? manifest.items.filter((item) => item.split === evalSplit) : [];
  if (trainRows.length === 0)
    throw new InputError(`train: expected videos in the train split of the manifest, got none`);

  const template = templateFor(genome, config, input.cacheDir);
  const rows = [...trainRows, ...evalRows];
  const bar =
    input.progress === false || input.prepared
      ? undefined
      : createCountProgress({
          label: 'clips',
          unit: 'clips',
          total: rows.length * (config.testClips + config.trainClips),
        });
  let failures: Map<string, string>;
  if (input.prepared) {
    failures = new Map(
      input.prepared.failed.map((id) => [id, 'failed when the clips were prepared']),
    );
  } else {
    try {
      failures = await prepareClips(
        rows,
        template,
        config,
        pool,
        input.signal,
        bar ? (id) => bar.tick(1, id) : undefined,
      );
    } finally {
      bar?.stop();
    }
  }
  for (const [id, reason] of failures) log(`skipped video ${id}: ${reason}`);
  const trainItems = trainRows.filter((item) => !failures.has(item.id)).map(toClipItem);
  const evalItems = evalRows.filter((item) => !failures.has(item.id)).map(toClipItem);

  const labels = { numClasses: manifest.classes.length, multiLabel: manifest.multiLabel };
  const networkOptions = networkOptionsFor(genome, manifest, config);
  await checkStepFitsHeap(genome, networkOptions, config);
  const network = createAssembleNet(genome, networkOptions);
  const stepsPerEpoch = Math.floor(trainItems.length / config.batch);
  if (stepsPerEpoch === 0) {
    throw new InputError(
      `train: expected at least --batch ${config.batch} usable training videos, got ${trainItems.length}`,
    );
  }
  const totalSteps = stepsPerEpoch * config.epochs;
  const scheduleConfig = {
    baseLr: config.lr,
    totalSteps,
    // At most a quarter of the run: a 1-epoch proxy training must not be all warm-up.
    warmupSteps: Math.round(Math.min(config.warmupEpochs, config.epochs / 4) * stepsPerEpoch),
  };
  const optimizer = new SgdMomentum({
    learningRate: config.lr,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
  });
  const checkpointDir = join(out, 'checkpoints');
  const resumeFrom = input.resume ? await latestCheckpoint(checkpointDir) : undefined;
  if (!resumeFrom) await input.initialize?.(network);
  const metricsLog = new MetricsLog(join(out, 'metrics.jsonl'));
  // A resumed run keeps the log up to its checkpoint (steps after it run again); a fresh one starts anew.
  if (resumeFrom) await metricsLog.truncateAfterStep((await readCheckpointState(resumeFrom)).step);
  else rmSync(metricsLog.path, { force: true });
  const reporter =
    input.progress === false
      ? undefined
      : new ProgressReporter({ totalSteps, label: genome.name, metricName: 'acc' });
  const stored: StoredRunOptions = {
    network: networkOptions,
    config,
    streams: genomeStreams(genome),
  };
  const result = await train({
    model: network,
    batches: shuffledBatches({
      count: trainItems.length,
      batchSize: config.batch,
      load: trainingClipLoader({
        pool,
        template,
        items: trainItems,
        labels,
        variants: config.trainClips,
        maxShift: config.shift,
        ...(input.signal ? { signal: input.signal } : {}),
      }),
      concurrency: 2,
      prefetchDepth: 2,
    }),
    optimizer,
    schedule: cosineSchedule(scheduleConfig),
    loss: classificationLoss(manifest.multiLabel),
    metric: batchAccuracy,
    steps: totalSteps,
    seed: config.seed,
    checkpoint: {
      dir: checkpointDir,
      atEpochEnd: true,
      keep: 2,
      meta: { genome: genomeToJSON(genome), options: stored, classes: manifest.classes },
    },
    ...(resumeFrom ? { resume: resumeFrom } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    onStep: (record) => {
      metricsLog.append(record);
      reporter?.update(record);
    },
    onEpoch: (record) => {
      metricsLog.append(record);
      reporter?.epoch(record);
    },
  });
  reporter?.stop();
  const checkpoint = result.lastCheckpoint ?? (await latestCheckpoint(checkpointDir));
  if (!checkpoint)
    throw new InputError(`train: expected a checkpoint under ${checkpointDir}, got none`);
  writeFileSync(join(out, 'genome.json'), `${JSON.stringify(genomeToJSON(genome), null, 2)}\n`);

  let evalResult: TrainJobResult['eval'];
  if (evalSplit && evalItems.length > 0) {
    const predictions = await predictVideos({
      network,
      pool,
      template,
      items: evalItems,
      labels,
      clips: config.testClips,
      batchSize: config.batch,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const summary = summarizeScores(
      labels.numClasses,
      labels.multiLabel,
      predictions.map((p) => ({ id: p.item.id, scores: p.scores, labels: p.item.labels })),
    );
    evalResult = { ...summary, split: evalSplit };
    writeFileSync(join(out, 'eval.json'), `${JSON.stringify(evalResult, null, 2)}\n`);
  }
  return {
    checkpoint,
    steps: result.progress.step,
    seconds: (Date.now() - started) / 1000,
    ...(evalResult ? { eval: evalResult } : {}),
    failed: [...failures].map(([id, reason]) => ({ id, reason })),
    network,
  };
}
