/**
 * Runs a pipeline file (see spec.ts): each stage is one of the jobs users also run alone.
 * Stages resume by themselves: generation and extraction are cached, evolve continues its
 * journal, train continues from its newest checkpoint, classify skips videos already written,
 * distill reads its table back when it finished with the same parameters (else reuses the
 * cached teacher logits and searches again).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ClipPool,
  genomeToJSON,
  runInChildProcess,
  runInLanes,
  InputError,
  countParameters,
  defaultCacheDir,
  estimateFlops,
  parseLatency,
  readGenome,
  type Genome,
} from '../../src/index.ts';
import {
  builtinSpecPath,
  generateSyntheticDataset,
  loadSyntheticSpec,
  planDataset,
  readManifest,
  type Manifest,
} from '../../datasets/index.ts';
import { readSearchSpace } from '../../evolution/index.ts';
import { PROXY_DEFAULTS } from '../commands/evolve.ts';
import { runClassifyJob } from '../jobs/classify.ts';
import { loadNetworkFromCheckpoint } from '../jobs/checkpointNetwork.ts';
import {
  formatDistillTable,
  runDistillJob,
  type DistillJobResult,
  type DistillTableRow,
} from '../jobs/distill.ts';
import { runEvolveJob } from '../jobs/evolve.ts';
import { parseRunConfig, type RunConfig } from '../jobs/runConfig.ts';
import { networkOptionsFor, prepareClips, runTrainJob, templateFor } from '../jobs/train.ts';
import { formatSummary, type EvalSummary } from '../jobs/summarize.ts';
import { createProgress } from '../progress.ts';
import type { PipelineSpec, StageSpec } from './spec.ts';
import type { TrainStageRequest, TrainStageResult } from './trainStageTask.ts';

const TRAIN_STAGE_TASK = new URL('./trainStageTask.ts', import.meta.url);

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface TrainedModel {
  name: string;
  genome: Genome;
  checkpoint: string;
  test?: EvalSummary & { split: string };
  parameters: number;
  gflops: number;
  trainSeconds: number;
  steps: number;
}

/** One distill stage's outcome: its table (teacher, chosen student, Pareto front) on the test split. */
export interface DistilledModel {
  name: string;
  teacher: string;
  out: string;
  checkpoint: string;
  targetMs: number;
  meetsTarget: boolean;
  table: DistillTableRow[];
  seconds: number;
}

export interface PipelineResult {
  out: string;
  manifest?: string;
  evolve?: { best: number; fitness: number; evaluations: number; bestFile: string };
  models: TrainedModel[];
  classify: { model: string; out: string; ok: number; failed: number; skipped: number }[];
  distill: DistilledModel[];
  seconds: number;
}

interface Context {
  spec: PipelineSpec;
  out: string;
  cacheDir: string;
  workers: number | undefined;
  pool: ClipPool;
  manifestPath?: string;
  manifest?: Manifest;
  evolvedGenome?: Genome;
  result: PipelineResult;
  log: (line: string) => void;
}

/** A path from a pipeline file: absolute, relative to the working folder, or to the project. */
export function resolveProjectPath(path: string): string {
  if (isAbsolute(path) || existsSync(path)) return resolve(path);
  return join(PROJECT_ROOT, path);
}

function settingsFor(
  ctx: Context,
  extra: Partial<RunConfig> = {},
  base: Partial<RunConfig> = {},
): RunConfig {
  return parseRunConfig({ ...base, ...ctx.spec.settings, ...extra }, `pipeline ${ctx.spec.name}`);
}

function needManifest(ctx: Context, stage: string): { path: string; manifest: Manifest } {
  if (!ctx.manifest || !ctx.manifestPath) {
    const path = ctx.spec.dataset.manifest
      ? resolveProjectPath(ctx.spec.dataset.manifest)
      : undefined;
    if (!path)
      throw new InputError(
        `pipeline: the ${stage} stage needs the dataset: put a generate stage before it`,
      );
    ctx.manifestPath = path;
    ctx.manifest = readManifest(
      path,
      ctx.spec.dataset.classes ? { classes: resolveProjectPath(ctx.spec.dataset.classes) } : {},
    ).manifest;
  }
  return { path: ctx.manifestPath, manifest: ctx.manifest };
}

type TrainStage = Extract<StageSpec, { stage: 'train' }>;

function trainInputs(ctx: Context, stage: TrainStage): { genome: Genome; config: RunConfig } {
  const genome =
    stage.genome === '@evolve' ? ctx.evolvedGenome : readGenome(resolveProjectPath(stage.genome));
  if (!genome)
    throw new InputError('pipeline: "@evolve" used before the evolve stage produced a genome');
  return { genome, config: settingsFor(ctx, stage.settings) };
}

function recordTrained(
  ctx: Context,
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
async function runTrainStagesInParallel(
  ctx: Context,
  stages: TrainStage[],
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

async function runStage(ctx: Context, stage: StageSpec): Promise<void> {
  switch (stage.stage) {
    case 'generate': {
      if (!ctx.spec.dataset.spec) {
        needManifest(ctx, 'generate');
        return;
      }
      const specFile = existsSync(ctx.spec.dataset.spec)
        ? ctx.spec.dataset.spec
        : builtinSpecPath(ctx.spec.dataset.spec);
      const spec = loadSyntheticSpec(specFile);
      const seed = ctx.spec.dataset.seed;
      const bar = createProgress({
        label: 'generate',
        unit: 'videos',
        total: planDataset(spec, seed).videos.length,
      });
      const summary = await generateSyntheticDataset(spec, {
        out: join(ctx.out, 'dataset'),
        ...(seed !== undefined ? { seed } : {}),
        onProgress: (event) => bar.tick(1, event.file),
      });
      bar.stop();
      ctx.manifestPath = summary.manifests[0]!;
      ctx.manifest = readManifest(ctx.manifestPath).manifest;
      ctx.result.manifest = ctx.manifestPath;
      ctx.log(
        `dataset: ${summary.videos} videos (${summary.generated} generated, ${summary.skipped} cached), ${summary.classes.length} classes -> ${ctx.manifestPath}`,
      );
      return;
    }
    case 'extract': {
      const { manifest } = needManifest(ctx, 'extract');
      const config = settingsFor(ctx);
      const streams: Genome = {
        name: 'all-streams',
        modulesPerLevel: [1, 1, 1, 1],
        fusion: 'sigmoid',
        nodes: [
          { stem: 'rgb', temporal: 1 },
          { stem: 'flow', temporal: 1 },
          { level: 3, inputs: [0, 1], filters: 1, dilation: 1, stride: 1 },
        ],
      };
      const bar = createProgress({
        label: 'extract',
        unit: 'clips',
        total: manifest.items.length * (config.testClips + config.trainClips),
      });
      let failures: Map<string, string>;
      try {
        failures = await prepareClips(
          manifest.items,
          templateFor(streams, config, ctx.cacheDir),
          config,
          ctx.pool,
          undefined,
          (id) => bar.tick(1, id),
        );
      } finally {
        bar.stop();
      }
      ctx.log(
        `extract: ${manifest.items.length - failures.size} videos ready, ${failures.size} failed${failures.size ? `: ${[...failures.keys()].join(', ')}` : ''}`,
      );
      return;
    }
    case 'evolve': {
      const { path } = needManifest(ctx, 'evolve');
      const out = join(ctx.out, 'evolve');
      const config = settingsFor(ctx, stage.settings, PROXY_DEFAULTS);
      const result = await runEvolveJob({
        space: readSearchSpace(resolveProjectPath(stage.space)),
        manifest: path,
        ...(ctx.spec.dataset.classes
          ? { classes: resolveProjectPath(ctx.spec.dataset.classes) }
          : {}),
        config,
        settings: {
          strategy: stage.strategy,
          seed: config.seed,
          budget: stage.budget,
          populationSize: stage.population,
          tournamentSize: stage.tournament,
          selection: 'tournament',
          batchSize: stage.batchSize,
          pruneThreshold: stage.pruneThreshold,
          structuralRate: stage.structuralRate,
          ...(stage.inheritWeights ? { inheritWeights: true } : {}),
        },
        out,
        workers: ctx.workers ?? 2,
        cacheDir: ctx.cacheDir,
        resume: existsSync(join(out, 'journal.jsonl')),
        log: ctx.log,
      });
      ctx.evolvedGenome = result.bestGenome;
      ctx.result.evolve = {
        best: result.best!.index,
        fitness: result.best!.fitness!,
        evaluations: result.evaluations.length,
        bestFile: result.bestFile,
      };
      ctx.log(
        `evolve: best candidate ${result.best!.index} (val fitness ${result.best!.fitness!.toFixed(3)}) of ${result.evaluations.length}`,
      );
      return;
    }
    case 'train': {
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
    }
    case 'classify': {
      const { manifest } = needManifest(ctx, 'classify');
      const trained = ctx.result.models.find((m) => m.name === stage.model);
      if (!trained) throw new InputError(`pipeline: classify: no trained model "${stage.model}"`);
      const model = await loadNetworkFromCheckpoint(trained.checkpoint);
      const out = join(ctx.out, `classify-${stage.model}.jsonl`);
      try {
        const result = await runClassifyJob({
          model,
          videos: manifest.items
            .filter((item) => item.split === stage.split)
            .map((item) => item.path),
          out,
          pool: ctx.pool,
          cacheDir: ctx.cacheDir,
        });
        ctx.result.classify.push({
          model: stage.model,
          out,
          ok: result.ok,
          failed: result.failed,
          skipped: result.skipped,
        });
        ctx.log(
          `classify ${stage.model}: ${result.ok} ok, ${result.skipped} already done, ${result.failed} failed -> ${out}`,
        );
      } finally {
        model.network.dispose();
      }
      return;
    }
    case 'distill': {
      const { manifest } = needManifest(ctx, 'distill');
      const trained = ctx.result.models.find((m) => m.name === stage.teacher);
      const teacher = trained ? trained.checkpoint : resolveProjectPath(stage.teacher);
      const out = join(ctx.out, `distill-${stage.name}`);
      const targetMs = parseLatency(stage.latencyTarget);
      const seed = stage.settings.seed ?? ctx.spec.settings.seed ?? 1;
      const params = {
        teacher: resolve(teacher),
        targetMs,
        budget: stage.budget,
        rgbOnly: stage.rgbOnly,
        space: stage.space ?? null,
        searchEpochs: stage.searchEpochs,
        settings: stage.settings,
        seed,
      };
      const doneFile = join(out, 'stage.json');
      let result: DistillJobResult;
      // Finished with the same parameters: the table is read back (the search is not re-run).
      if (
        existsSync(doneFile) &&
        existsSync(join(out, 'distill.json')) &&
        JSON.stringify(JSON.parse(readFileSync(doneFile, 'utf8'))) === JSON.stringify(params)
      ) {
        result = JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8')) as DistillJobResult;
        ctx.log(
          `distill ${stage.name}: done earlier with the same parameters, read ${join(out, 'distill.json')}`,
        );
      } else {
        ctx.log(
          `distill ${stage.name}: teacher ${stage.teacher}, budget ${stage.budget}, target ${targetMs} ms${stage.rgbOnly ? ', RGB-only students' : ''}`,
        );
        result = await runDistillJob({
          teacher,
          manifest,
          out,
          cacheDir: ctx.cacheDir,
          pool: ctx.pool,
          budget: stage.budget,
          latencyTarget: targetMs,
          rgbOnly: stage.rgbOnly,
          epochs: stage.searchEpochs,
          seed,
          settings: stage.settings,
          ...(stage.space ? { space: resolveProjectPath(stage.space) } : {}),
          log: ctx.log,
        });
        writeFileSync(doneFile, `${JSON.stringify(params, null, 2)}\n`);
      }
      ctx.log(`distill ${stage.name}: ${formatDistillTable(result).split('\n').at(-1)}`);
      ctx.result.distill.push({
        name: stage.name,
        teacher: stage.teacher,
        out,
        checkpoint: result.chosen.checkpoint,
        targetMs: result.target,
        meetsTarget: result.chosen.meetsTarget,
        table: result.table,
        seconds: result.seconds,
      });
      return;
    }
    case 'summary':
      return;
  }
}

export interface RunPipelineOptions {
  out?: string;
  cacheDir?: string;
  workers?: number;
  log?: (line: string) => void;
}

export async function runPipeline(
  spec: PipelineSpec,
  options: RunPipelineOptions = {},
): Promise<PipelineResult> {
  const started = Date.now();
  const out = resolve(options.out ?? spec.out);
  mkdirSync(out, { recursive: true });
  const workers = options.workers ?? spec.workers;
  const ctx: Context = {
    spec,
    out,
    workers,
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    pool: new ClipPool(workers ? { workers } : {}),
    result: { out, models: [], classify: [], distill: [], seconds: 0 },
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  try {
    const parallel = Math.max(1, workers ?? availableParallelism());
    for (let index = 0; index < spec.stages.length; index++) {
      const stage = spec.stages[index]!;
      ctx.log(
        `== stage ${index + 1}/${spec.stages.length}: ${stage.stage}${'name' in stage ? ` ${stage.name}` : ''}`,
      );
      const group: TrainStage[] = [];
      for (let j = index; j < spec.stages.length && spec.stages[j]!.stage === 'train'; j++)
        group.push(spec.stages[j] as TrainStage);
      if (group.length > 1 && parallel > 1) {
        await runTrainStagesInParallel(ctx, group, parallel);
        index += group.length - 1;
      } else {
        await runStage(ctx, stage);
      }
    }
  } finally {
    await ctx.pool.destroy();
  }
  ctx.result.seconds = (Date.now() - started) / 1000;
  writeFileSync(
    join(out, 'summary.json'),
    `${JSON.stringify({ ...ctx.result, models: ctx.result.models.map(({ genome, ...m }) => ({ ...m, genome: genome.name })) }, null, 2)}\n`,
  );
  return ctx.result;
}
