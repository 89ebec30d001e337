/**
 * Reads an output folder of `train`, `eval`, `evolve`, `distill` or `run` into plain data for the
 * report. The kind is told by the files each job writes:
 *
 *   run      summary.json with a `models` list (and train-NAME/, evolve/, distill-NAME/ inside)
 *   evolve   journal.jsonl (+ summary.json, best-genome.json)
 *   distill  distill.json (+ latency.json, student/)
 *   train    metrics.jsonl (+ eval.json, genome.json, checkpoints/)
 *   eval     eval-SPLIT.json, in the folder or its checkpoints/ (what `eval` writes), or that file
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readManifest } from '../../datasets/index.ts';
import { readJournal, type EvaluationRecord, type JournalHeader } from '../../evolution/index.ts';
import {
  InputError,
  confusionMatrix,
  latestCheckpoint,
  multiHot,
  parseGenome,
  perClassAveragePrecision,
  perClassRecall,
  scoreMatrixFromRows,
  type EpochRecord,
  type Genome,
  type StepRecord,
} from '../../src/index.ts';
import type { ClassifyOkRow, ClassifyRow } from '../jobs/classify.ts';
import type { DistillJobResult } from '../jobs/distill.ts';
import type { EvalSummary } from '../jobs/summarize.ts';
import type { PipelineResult } from '../run/runPipeline.ts';
import { learnedConnectionWeights } from './connectionWeights.ts';

export const OUTPUT_KINDS = ['train', 'eval', 'evolve', 'distill', 'run'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** An eval-SPLIT.json (`eval`) or eval.json (`train`'s held-out scoring). */
export interface EvalFile {
  file: string;
  summary: EvalSummary & { split?: string; clips?: number; step?: number };
}

/** Per-class results from per-video predictions (a classify JSONL against the manifest). */
export interface ClassResults {
  source: string;
  classes: string[];
  videos: number;
  multiLabel: boolean;
  /** Single-label: recall per class (NaN: no video); multi-label: AP per class (NaN: no positive). */
  perClass: number[];
  /** Single-label only: counts[true][predicted]. */
  confusion?: number[][];
}

export interface TrainOutput {
  kind: 'train';
  dir: string;
  name: string;
  genome: Genome | null;
  /** Learned connection weights of the newest checkpoint, per node aligned with its inputs. */
  connectionWeights: number[][] | null;
  checkpoint: string | null;
  steps: StepRecord[];
  epochs: EpochRecord[];
  evals: EvalFile[];
  classes: string[];
  settings: Record<string, unknown> | null;
  firstTime: string | null;
  lastTime: string | null;
}

export interface EvalOutput {
  kind: 'eval';
  dir: string;
  evals: EvalFile[];
}

export interface EvolveOutput {
  kind: 'evolve';
  dir: string;
  header: JournalHeader | null;
  evaluations: EvaluationRecord[];
  best: EvaluationRecord | null;
}

export interface DistillOutput {
  kind: 'distill';
  dir: string;
  name: string;
  result: DistillJobResult;
}

export type RunSummary = Omit<PipelineResult, 'models'> & {
  models: (Omit<PipelineResult['models'][number], 'genome'> & { genome: string })[];
};

export interface RunOutput {
  kind: 'run';
  dir: string;
  summary: RunSummary;
  evolve: EvolveOutput | null;
  trains: TrainOutput[];
  distills: DistillOutput[];
  classified: ClassResults[];
}

export type ReportData = TrainOutput | EvalOutput | EvolveOutput | DistillOutput | RunOutput;

function readJson<T>(file: string): T {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new InputError(
      `report: expected JSON in ${file}, got a parse error: ${(error as Error).message}`,
    );
  }
}

/** JSON lines; a torn last line (a run killed mid-write) is left out, any other bad line is an error. */
function readJsonLines<T>(file: string): T[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const rows: T[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line) as T);
    } catch {
      const last = index === lines.length - 1;
      if (!last)
        throw new InputError(
          'report: expected one JSON object per line, got unparsable text',
          `${file}:${index + 1}`,
        );
    }
  });
  return rows;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function evalFilesIn(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^eval(-.+)?\.json$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

function readEvalFile(file: string): EvalFile {
  const summary = readJson<EvalFile['summary']>(file);
  if (typeof summary.num_classes !== 'number' || typeof summary.num_videos !== 'number')
    throw new InputError(
      `report: expected evaluation metrics (num_classes, num_videos, top1 or map) in ${file}, got keys ${Object.keys(summary).join(', ')}`,
    );
  return { file, summary };
}

/** Which job wrote `dir` (see the module comment). */
export function detectKind(path: string): OutputKind {
  if (!existsSync(path))
    throw new InputError(`report: expected an output folder, got no such path ${path}`);
  if (!isDir(path)) {
    if (/\.json$/.test(path)) return 'eval';
    throw new InputError(`report: expected an output folder or an eval JSON file, got ${path}`);
  }
  const summary = join(path, 'summary.json');
  if (existsSync(summary) && Array.isArray(readJson<{ models?: unknown }>(summary).models))
    return 'run';
  if (existsSync(join(path, 'journal.jsonl'))) return 'evolve';
  if (existsSync(join(path, 'distill.json'))) return 'distill';
  if (existsSync(join(path, 'metrics.jsonl'))) return 'train';
  if (evalFilesIn(path).length > 0 || evalFilesIn(join(path, 'checkpoints')).length > 0)
    return 'eval';
  throw new InputError(
    `report: expected an output folder of train, eval, evolve, distill or run (metrics.jsonl, eval-SPLIT.json, journal.jsonl, distill.json or summary.json with models), got none of them in ${path}`,
  );
}

interface CheckpointJson {
  createdAt?: string;
  meta?: {
    genome?: unknown;
    options?: { config?: Record<string, unknown> };
    classes?: string[];
  };
}

export async function loadTrain(dir: string): Promise<TrainOutput> {
  const metricsFile = join(dir, 'metrics.jsonl');
  const records = existsSync(metricsFile)
    ? readJsonLines<(StepRecord | EpochRecord) & { time?: string }>(metricsFile)
    : [];
  const checkpoint = (await latestCheckpoint(join(dir, 'checkpoints'))) ?? null;
  const state = checkpoint ? readJson<CheckpointJson>(join(checkpoint, 'checkpoint.json')) : null;
  const genomeFile = join(dir, 'genome.json');
  let genome: Genome | null = null;
  if (existsSync(genomeFile)) genome = parseGenome(readJson(genomeFile), genomeFile);
  else if (state?.meta?.genome && checkpoint)
    genome = parseGenome(state.meta.genome, join(checkpoint, 'checkpoint.json'));
  const times = records.map((r) => r.time).filter((t): t is string => typeof t === 'string');
  return {
    kind: 'train',
    dir,
    name: genome?.name ?? basename(dir),
    genome,
    connectionWeights:
      genome && checkpoint ? await learnedConnectionWeights(genome, checkpoint) : null,
    checkpoint,
    steps: records.filter((r): r is StepRecord & { time?: string } => r.kind === 'step'),
    epochs: records.filter((r): r is EpochRecord & { time?: string } => r.kind === 'epoch'),
    evals: [...evalFilesIn(dir), ...evalFilesIn(join(dir, 'checkpoints'))].map(readEvalFile),
    classes: state?.meta?.classes ?? [],
    settings: state?.meta?.options?.config ?? null,
    firstTime: times[0] ?? null,
    lastTime: times.at(-1) ?? null,
  };
}

export function loadEval(path: string): EvalOutput {
  const files = isDir(path)
    ? [...evalFilesIn(path), ...evalFilesIn(join(path, 'checkpoints'))]
    : [path];
  return { kind: 'eval', dir: path, evals: files.map(readEvalFile) };
}

export function loadEvolve(dir: string): EvolveOutput {
  const file = join(dir, 'journal.jsonl');
  const { header, evaluations } = readJournal(file);
  if (evaluations.length === 0)
    throw new InputError(`report: expected at least one finished evaluation in ${file}, got none`);
  let best: EvaluationRecord | null = null;
  for (const record of evaluations)
    if (record.status === 'ok' && (best === null || record.fitness! > best.fitness!)) best = record;
  return { kind: 'evolve', dir, header, evaluations, best };
}

export function loadDistill(dir: string): DistillOutput {
  const file = join(dir, 'distill.json');
  const result = readJson<DistillJobResult>(file);
  if (!Array.isArray(result.records) || !Array.isArray(result.table) || !result.chosen)
    throw new InputError(
      `report: expected a distillation result (records, table, chosen) in ${file}, got keys ${Object.keys(result).join(', ')}`,
    );
  return { kind: 'distill', dir, name: basename(dir).replace(/^distill-/, ''), result };
}

/** Per-class results of a classify JSONL whose videos are in the manifest (labels by id). */
export function classResults(file: string, manifestFile: string): ClassResults | null {
  const { manifest } = readManifest(manifestFile);
  const labels = new Map(manifest.items.map((item) => [item.id, item.labels]));
  const rows = readJsonLines<ClassifyRow>(file).filter(
    (row): row is ClassifyOkRow => 'scores' in row && (labels.get(row.id)?.length ?? 0) > 0,
  );
  if (rows.length === 0) return null;
  const scores = scoreMatrixFromRows(rows.map((row) => row.scores));
  const base = {
    source: file,
    classes: manifest.classes,
    videos: rows.length,
    multiLabel: manifest.multiLabel,
  };
  if (manifest.multiLabel) {
    const targets = multiHot(
      rows.map((row) => labels.get(row.id)!),
      manifest.classes.length,
    );
    return { ...base, perClass: [...perClassAveragePrecision(scores, targets)] };
  }
  const matrix = confusionMatrix(
    scores,
    rows.map((row) => labels.get(row.id)![0]!),
  );
  const n = matrix.numClasses;
  return {
    ...base,
    perClass: [...perClassRecall(matrix)],
    confusion: Array.from({ length: n }, (_, t) => [...matrix.counts.slice(t * n, (t + 1) * n)]),
  };
}

export async function loadRun(dir: string): Promise<RunOutput> {
  const summary = readJson<RunSummary>(join(dir, 'summary.json'));
  const evolveDir = join(dir, 'evolve');
  const trains: TrainOutput[] = [];
  for (const model of summary.models) {
    const trainDir = join(dir, `train-${model.name}`);
    if (isDir(trainDir)) trains.push({ ...(await loadTrain(trainDir)), name: model.name });
  }
  const classified: ClassResults[] = [];
  if (summary.manifest && existsSync(summary.manifest)) {
    for (const entry of summary.classify ?? []) {
      const file = existsSync(entry.out) ? entry.out : join(dir, basename(entry.out));
      const results = existsSync(file) ? classResults(file, summary.manifest) : null;
      if (results) classified.push({ ...results, source: entry.model });
    }
  }
  return {
    kind: 'run',
    dir,
    summary,
    evolve: existsSync(join(evolveDir, 'journal.jsonl')) ? loadEvolve(evolveDir) : null,
    trains,
    distills: (summary.distill ?? [])
      .map((d) => join(dir, `distill-${d.name}`))
      .filter((d) => existsSync(join(d, 'distill.json')))
      .map(loadDistill),
    classified,
  };
}

export async function loadOutput(path: string): Promise<ReportData> {
  switch (detectKind(path)) {
    case 'run':
      return loadRun(path);
    case 'evolve':
      return loadEvolve(path);
    case 'distill':
      return loadDistill(path);
    case 'train':
      return loadTrain(path);
    case 'eval':
      return loadEval(path);
  }
}
