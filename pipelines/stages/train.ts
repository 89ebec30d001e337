import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  countParameters,
  estimateFlops,
  type Genome,
  genomeToJSON,
  InputError,
  readGenome,
  runInChildProcess,
  runInLanes,
} from '../../src/index.ts';
import type { RunConfig } from '../../src/networks/runConfig.ts';
import { formatSummary } from '../jobs/summarize.ts';
import { networkOptionsFor, runTrainJob } from '../jobs/train.ts';
import type { TrainStageRequest, TrainStageResult } from '../run/trainStageTask.ts';
import {
  needManifest,
  resolveProjectPath,
  settingsFor,
  type StageContext,
  type StageOf,
  type StageRunner,
} from './context.ts';

const TRAIN_STAGE_TASK = new URL('../run/trainStageTask.ts', import.meta.url);

export function trainInputs(
  ctx: StageContext,
  stage: StageOf<'train'>,
): { genome: Genome; config: RunConfig } {
  const genome =
    stage.genome === '@evolve' ? ctx.evolvedGenome : readGenome(resolveProjectPath(stage.genome));
  if (!genome)
    throw new InputError('pipeline: "@evolve" used before the evolve stage produced a genome');
  return { genome, config: settingsFor(ctx, stage.settings) };
}

function recordTrained(
  ctx: StageContext,
  name: string,
  genome: Genome,
  config: RunConfig,
  result: TrainStageResult,
): void {
  const { manifest } = needManifest(ctx, 'train');
  const options = networkOptionsFor(genome, manifest, config);
  const parameters = countParameters(genome, options).total;
  const gflops = estimateFlops(genome, { ...options, resolution: config.size }).flops / 1e9;
  if (result.eval)
    ctx.log(
      `train ${name}: ${result.steps} steps in ${result.seconds.toFixed(0)} s; ${result.eval.split}: ${formatSummary(result.eval)}`,
    );
  ctx.result.models.push({
    name,
    genome,
    checkpoint: result.checkpoint,
    parameters,
    gflops,
    trainSeconds: result.seconds,
    steps: result.steps,
    ...(result.eval ? { test: result.eval } : {}),
  });
}

/**
 * Consecutive train stages, side by side: each in its own process (its own engine, one wasm
 * thread), at most `parallel` at once. Results are recorded in stage order; if one fails, no
 * further stage starts, the running ones finish (their checkpoints stay for a resume) and the
 * first error is thrown.
 */
export async function runTrainStagesInParallel(
  ctx: StageContext,
  stages: StageOf<'train'>[],
  parallel: number,
): Promise<void> {
  const { path: manifestPath } = needManifest(ctx, 'train');
  const inputs = stages.map((stage) => ({ stage, ...trainInputs(ctx, stage) }));
  const genomesDir = join(ctx.out, 'genomes');
  mkdirSync(genomesDir, { recursive: true });
  ctx.log(
    `train ${stages.map((s) => s.name).join(', ')}: ${Math.min(parallel, stages.length)} at a time, one process each`,
  );
  const results: TrainStageResult[] = new Array(stages.length);
  await runInLanes(inputs, parallel, async ({ stage, genome, config }, index) => {
    const genomeFile = join(genomesDir, `${stage.name}.json`);
    writeFileSync(genomeFile, `${JSON.stringify(genomeToJSON(genome), null, 2)}\n`);
    ctx.log(`train ${stage.name}: ${genome.name}, ${config.epochs} epochs`);
    results[index] = await runInChildProcess<TrainStageRequest, TrainStageResult>(
      TRAIN_STAGE_TASK,
      {
        genomeFile,
        manifest: manifestPath,
        config,
        out: join(ctx.out, `train-${stage.name}`),
        cacheDir: ctx.cacheDir,
        ...(ctx.spec.dataset.classes
          ? { classes: resolveProjectPath(ctx.spec.dataset.classes) }
          : {}),
      },
      {
        label: `train ${stage.name}`,
        onStderr: (line) => ctx.log(`  [${stage.name}] ${line.replace(/\r/g, '').trim()}`),
      },
    );
  });
  inputs.forEach(({ stage, genome, config }, index) =>
    recordTrained(ctx, stage.name, genome, config, results[index]!),
  );
}

/** Trains one genome in this process (consecutive train stages go through runTrainStagesInParallel). */
export const runTrainStage: StageRunner<'train'> = async (ctx, stage) => {
  const { genome, config } = trainInputs(ctx, stage);
  ctx.log(`train ${stage.name}: ${genome.name}, ${config.epochs} epochs`);
  const { manifest } = needManifest(ctx, 'train');
  const result = await runTrainJob({
    genome,
    manifest,
    config,
    out: join(ctx.out, `train-${stage.name}`),
    pool: ctx.pool,
    cacheDir: ctx.cacheDir,
    resume: true,
    evalSplit: 'test',
    log: ctx.log,
  });
  result.network.dispose();
  recordTrained(ctx, stage.name, genome, config, result);
  return;
};
