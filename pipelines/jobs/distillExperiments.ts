/**
 * The distillation experiments of docs/results.md, several seeds, one teacher whose outputs
 * are cached once (OUT/teacher-logits, OUT/teacher-features):
 *
 *   akd  AKD vs conventional NAS + KD: the distill search with the KD-guided reward (candidates
 *        trained with KD) vs the hard-label reward (candidates trained on the labels only, KD
 *        applied only to the winner); same space, budget, latency target and seed; the final
 *        test accuracy and measured latency of each winner. Each search is an ordinary distill
 *        job in OUT/akd/<arm>-seed<k>/ (journaled, so a killed experiment resumes mid-search).
 *   rgb  RGB-only students that learn motion: one fixed RGB student trained with the hard labels
 *        only, with logit KD, and with feature distillation (its pooled features regress the
 *        teacher's; MARS / D3D), same steps and seed: only the loss differs.
 *
 * Every finished run is OUT/runs/<id>.json and is skipped on a rerun; the records go to
 * OUT/results.json (and `resultsCopy`, e.g. docs/results/distill-*.json) after every run.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InputError,
  KD_DEFAULTS,
  parseStudentSpace,
  studentHash,
  studentStreams,
  writeJsonAtomic,
  type ClipPool,
  type StudentArch,
  type StudentObjective,
  type StudentSpace,
} from '../../src/index.ts';
import type { Manifest } from '../../datasets/index.ts';
import { mean, sampleSd as std } from '../../src/util/stats.ts';
import {
  DEFAULT_FEATURE_WEIGHT,
  DEFAULT_STUDENT_SPACE,
  DISTILL_DEFAULTS,
  openDistillSession,
  runDistillJob,
  type StudentTrainSettings,
} from './distill.ts';

export type ExperimentName = 'akd' | 'rgb';
export const RGB_ARMS = ['none', 'logit-kd', 'feature-kd'] as const;
export type RgbArm = (typeof RGB_ARMS)[number];

export interface DistillExperimentsInput {
  teacher: string;
  manifest: Manifest;
  out: string;
  cacheDir: string;
  pool: ClipPool;
  experiments: ExperimentName[];
  seeds: number[];
  /** rgb: epochs of every student; akd: epochs of each winner's final (KD) training. */
  epochs: number;
  /** akd: students trained per search, epochs per candidate, latency target (ms), space. */
  budget: number;
  searchEpochs: number;
  latencyTarget: number;
  space?: string;
  rgbOnly?: boolean;
  /** rgb: the fixed RGB student. */
  student?: StudentArch;
  /** 'teacher' (default): students (and the akd space) at the teacher's frames and resolution. */
  studentShape?: 'teacher' | 'file';
  featureWeight?: number;
  settings?: StudentTrainSettings;
  workers?: number;
  /** A copy of the results file (docs/results/...), rewritten after every run. */
  resultsCopy?: string;
  log?: (line: string) => void;
}

export interface ExperimentRun {
  id: string;
  experiment: ExperimentName;
  arm: string;
  seed: number;
  student: string;
  hash: string;
  streams: string[];
  epochs: number;
  steps: number;
  /** Test top-1 (mAP on multi-label sets). */
  accuracy: number;
  metric: 'top1' | 'map';
  /** akd: the winner's measured latency and whether it meets the target. */
  latencyMs?: number;
  meetsTarget?: boolean;
  /** akd: the search's candidates (trained, failed, skipped) and its val score of the winner. */
  candidates?: { trained: number; failed: number; skipped: number };
  searchAccuracy?: number;
  seconds: number;
}

const atShape = (arch: StudentArch, frames: number, resolution: number): StudentArch =>
  arch.frames === frames && arch.resolution === resolution
    ? arch
    : { ...arch, name: `${arch.name}@${frames}x${resolution}`, frames, resolution };

export const RGB_OBJECTIVES: Record<RgbArm, Partial<StudentObjective>> = {
  none: { logits: 'hard', featureWeight: 0 },
  'logit-kd': { logits: 'kd', featureWeight: 0 },
  'feature-kd': { logits: 'hard' },
};

export async function runDistillExperiments(input: DistillExperimentsInput): Promise<{
  runs: ExperimentRun[];
  resultsFile: string;
}> {
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { out, seeds } = input;
  if (seeds.length === 0)
    throw new InputError('distill experiments: expected at least one seed, got none');
  mkdirSync(join(out, 'runs'), { recursive: true });
  const featureWeight = input.featureWeight ?? DEFAULT_FEATURE_WEIGHT;
  const session = await openDistillSession({
    teacher: input.teacher,
    manifest: input.manifest,
    out,
    cacheDir: input.cacheDir,
    pool: input.pool,
    features: input.experiments.includes('rgb'),
    objective: { ...KD_DEFAULTS, featureWeight },
    ...(input.settings ? { settings: input.settings } : {}),
    log,
  });
  const runs: ExperimentRun[] = [];
  const resultsFile = join(out, 'results.json');
  const save = () => {
    const value = {
      teacher: input.teacher,
      teacherRow: teacherSummary,
      settings: {
        ...input,
        manifest: undefined,
        pool: undefined,
        log: undefined,
        student: input.student?.name,
      },
      runs,
    };
    writeJsonAtomic(resultsFile, value);
    if (input.resultsCopy) writeJsonAtomic(input.resultsCopy, value);
  };
  let teacherSummary: unknown;
  const once = async (
    id: string,
    make: () => Promise<Omit<ExperimentRun, 'id' | 'seconds'>>,
  ): Promise<void> => {
    const file = join(out, 'runs', `${id}.json`);
    if (existsSync(file)) {
      log(`distill experiments: ${id} done earlier (${file})`);
      runs.push(JSON.parse(readFileSync(file, 'utf8')) as ExperimentRun);
      save();
      return;
    }
    const started = Date.now();
    const made = await make();
    const run: ExperimentRun = { id, ...made, seconds: (Date.now() - started) / 1000 };
    writeJsonAtomic(file, run);
    runs.push(run);
    save();
    log(
      `distill experiments: ${id} ${run.metric} ${(100 * run.accuracy).toFixed(1)}%${run.latencyMs !== undefined ? ` ${run.latencyMs.toFixed(1)} ms` : ''} (${run.seconds.toFixed(0)} s)`,
    );
  };
  try {
    teacherSummary = await session.teacherRow();
    const { frames, size } = session.teacher.config;
    const pin = (arch: StudentArch) =>
      input.studentShape === 'file' ? arch : atShape(arch, frames, size);

    if (input.experiments.includes('rgb')) {
      if (!input.student)
        throw new InputError('distill experiments: the rgb experiment expected a --student file');
      const student = pin(input.student);
      if (studentStreams(student).includes('flow'))
        throw new InputError(
          `distill experiments: expected an RGB-only student, got ${student.streams} (${student.name})`,
        );
      for (const seed of seeds)
        for (const arm of RGB_ARMS)
          await once(`rgb-${arm}-seed${seed}`, async () => {
            const trained = await session.trainStudent(student, input.epochs, {
              seed,
              objective: {
                ...RGB_OBJECTIVES[arm],
                ...(arm === 'feature-kd' ? { featureWeight } : {}),
              },
            });
            try {
              const test = await session.score(
                trained.network,
                trained.template,
                session.testItems,
                session.testSplit,
              );
              return {
                experiment: 'rgb',
                arm,
                seed,
                student: student.name,
                hash: studentHash(student),
                streams: studentStreams(student),
                epochs: input.epochs,
                steps: trained.steps,
                accuracy: session.accuracyOf(test),
                metric: session.metric,
              };
            } finally {
              trained.network.dispose();
            }
          });
    }

    if (input.experiments.includes('akd')) {
      const file = input.space ?? DEFAULT_STUDENT_SPACE;
      const parsed = parseStudentSpace(JSON.parse(readFileSync(file, 'utf8')), file);
      const space: StudentSpace =
        input.studentShape === 'file' ? parsed : { ...parsed, frames, resolution: size };
      for (const seed of seeds)
        for (const arm of ['kd-reward', 'hard-reward'] as const)
          await once(`akd-${arm}-seed${seed}`, async () => {
            const jobOut = join(out, 'akd', `${arm}-seed${seed}`);
            const result = await runDistillJob({
              teacher: input.teacher,
              manifest: input.manifest,
              out: jobOut,
              cacheDir: input.cacheDir,
              pool: input.pool,
              workers: input.workers ?? DISTILL_DEFAULTS.candidateWorkers,
              budget: input.budget,
              latencyTarget: input.latencyTarget,
              rgbOnly: Boolean(input.rgbOnly),
              space,
              epochs: input.searchEpochs,
              finalEpochs: input.epochs,
              searchLoss: arm === 'kd-reward' ? 'kd' : 'hard',
              seed,
              resume: existsSync(join(jobOut, 'search-journal.jsonl')),
              ...(input.settings ? { settings: input.settings } : {}),
              log,
            });
            const chosen = result.records.find((record) => record.hash === result.chosen.hash)!;
            return {
              experiment: 'akd',
              arm,
              seed,
              student: result.chosen.arch.name,
              hash: result.chosen.hash,
              streams: studentStreams(result.chosen.arch),
              epochs: input.epochs,
              steps: 0,
              accuracy: session.accuracyOf(result.chosen.test),
              metric: session.metric,
              latencyMs: result.chosen.latencyMs,
              meetsTarget: result.chosen.meetsTarget,
              searchAccuracy: chosen.accuracy,
              candidates: {
                trained: result.records.filter((r) => r.status === 'ok').length,
                failed: result.records.filter((r) => r.status === 'failed').length,
                skipped: result.records.filter((r) => r.status === 'skipped').length,
              },
            };
          });
    }
    return { runs, resultsFile };
  } finally {
    session.dispose();
  }
}

/** Markdown tables: mean ± sd over seeds, then the per-seed values. */
export function formatExperimentTables(runs: ExperimentRun[]): string {
  const pct = (x: number) => (100 * x).toFixed(1);
  const stat = (xs: number[], f: (x: number) => string) =>
    xs.length === 0 ? '-' : `${f(mean(xs))} ± ${f(std(xs))}`;
  const lines: string[] = [];
  const rgb = runs.filter((run) => run.experiment === 'rgb');
  if (rgb.length > 0) {
    lines.push(
      '| RGB student loss | test top-1 (%) | per seed | steps |',
      '| --- | --- | --- | --- |',
    );
    for (const arm of RGB_ARMS) {
      const rows = rgb.filter((run) => run.arm === arm).sort((a, b) => a.seed - b.seed);
      if (rows.length === 0) continue;
      lines.push(
        `| ${arm} | ${stat(
          rows.map((r) => r.accuracy),
          pct,
        )} | ${rows.map((r) => pct(r.accuracy)).join(', ')} | ${rows[0]!.steps} |`,
      );
    }
    lines.push('');
  }
  const akd = runs.filter((run) => run.experiment === 'akd');
  if (akd.length > 0) {
    lines.push(
      '| search reward | winner test top-1 (%) | per seed | latency ms (per seed) | meets target | winners |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const arm of ['kd-reward', 'hard-reward']) {
      const rows = akd.filter((run) => run.arm === arm).sort((a, b) => a.seed - b.seed);
      if (rows.length === 0) continue;
      const latencies = rows.map((r) => r.latencyMs ?? Number.NaN);
      lines.push(
        `| ${arm} | ${stat(
          rows.map((r) => r.accuracy),
          pct,
        )} | ${rows.map((r) => pct(r.accuracy)).join(', ')} | ${stat(latencies, (x) => x.toFixed(1))} (${latencies.map((x) => x.toFixed(1)).join(', ')}) | ${rows.filter((r) => r.meetsTarget).length}/${rows.length} | ${rows.map((r) => `${r.student} (${r.streams.join('+')})`).join(', ')} |`,
      );
    }
  }
  return lines.join('\n');
}
