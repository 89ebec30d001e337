/**
 * What every pipeline stage reads and writes: the run's spec, folders, the shared clip pool,
 * the dataset once loaded, the evolved genome, and the result being built.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClipPool, type Genome, InputError } from '../../src/index.ts';
import { type Manifest, readManifest } from '../../datasets/index.ts';
import type { DistillTableRow } from '../jobs/distill.ts';
import { parseRunConfig, type RunConfig } from '../../src/networks/runConfig.ts';
import type { EvalSummary } from '../jobs/summarize.ts';
import type { PipelineSpec, StageSpec } from '../run/spec.ts';

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

export interface StageContext {
  spec: PipelineSpec;
  out: string;
  cacheDir: string;
  workers: number | undefined;
  /** redis:// URL of the queue that evolve and classify stages hand their work to. */
  queue?: string;
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

export function settingsFor(
  ctx: StageContext,
  extra: Partial<RunConfig> = {},
  base: Partial<RunConfig> = {},
): RunConfig {
  return parseRunConfig({ ...base, ...ctx.spec.settings, ...extra }, `pipeline ${ctx.spec.name}`);
}

export function needManifest(
  ctx: StageContext,
  stage: string,
): { path: string; manifest: Manifest } {
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

/** The stage spec of one kind, e.g. `StageOf<'train'>`. */
export type StageOf<K extends StageSpec['stage']> = Extract<StageSpec, { stage: K }>;

/** Runs one stage of a pipeline; stages of a kind share one runner. */
export type StageRunner<K extends StageSpec['stage']> = (
  ctx: StageContext,
  stage: StageOf<K>,
) => Promise<void>;
