/**
 * The distillation experiments of the README, several seeds, one teacher whose logits are cached
 * once (OUT/teacher-logits, shared by every run):
 *
 *   A  one fixed student trained with KD vs the same student trained on the hard labels only
 *      (alpha = 1), same architecture, epochs, steps, seed: only the loss differs
 *   B  the searched student (distill search: budget, latency target, RGB-only, KD) vs the
 *      hand-picked student (evolution/students) whose measured latency is nearest the searched
 *      one's; both KD-trained for the same epochs
 *   C  RGB-only students vs the two-stream teacher: test accuracy and measured end-to-end
 *      latency of one clip at batch 1 (decode, flow for the teacher, model; clipLatency.ts)
 *
 * Every run writes OUT/runs/<id>.json and is skipped when that file exists (resumable); the
 * tables (mean ± sample std over seeds, then the per-seed values) go to OUT/tables.md and the
 * records to OUT/results.json. Students are pinned to the teacher's clip shape (frames,
 * resolution) by default, so they read the clips the teacher's extraction cached.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  InputError,
  clipTemplate,
  countStudentParameters,
  createStudent,
  estimateStudentFlops,
  parseStudentSpace,
  readStudent,
  studentHash,
  studentStreams,
  studentToJSON,
  type ClipPool,
  type StudentArch,
  type StudentSpace,
} from '../../src/index.ts';
import type { Manifest } from '../../datasets/index.ts';
import { measureClipLatency, type ClipLatency } from './clipLatency.ts';
import {
  DEFAULT_STUDENT_SPACE,
  openDistillSession,
  runDistillJob,
  type StudentTrainSettings,
} from './distill.ts';

export const STUDENTS_DIR = dirname(DEFAULT_STUDENT_SPACE);
export const DEFAULT_FIXED_STUDENT = join(STUDENTS_DIR, 'mobile-rgb.json');

export interface DistillExperimentsInput {
  teacher: string;
  manifest: Manifest;
  out: string;
  cacheDir: string;
  pool: ClipPool;
  seeds: number[];
  /** KD (or hard-label) epochs of every compared student. */
  epochs: number;
  /** Students evaluated by the search of B. */
  budget: number;
  /** Latency target T of the search reward, ms. */
  latencyTarget: number;
  /** KD epochs of each searched candidate (default 1). */
  searchEpochs?: number;
  /** The fixed student of A (default evolution/students/mobile-rgb.json). */
  student?: StudentArch;
  /** Candidates of B's hand-picked student (default every student file in evolution/students). */
  handPicked?: StudentArch[];
  /** Search space (default evolution/students/space.json). */
  space?: StudentSpace | string;
  /** 'teacher' (default): students at the teacher's frames and resolution; 'file': as written. */
  studentShape?: 'teacher' | 'file';
  alpha?: number;
  temperature?: number;
  settings?: StudentTrainSettings;
  /** Timed runs of the model-latency probe (default 10) and of the end-to-end clip latency (default 10). */
  latencyRuns?: number;
  clipLatencyRuns?: number;
  log?: (line: string) => void;
}

/** One finished run (OUT/runs/<id>.json). */
export interface ExperimentRun {
  id: string;
  experiment: 'A' | 'B' | 'C';
  variant: string;
  seed: number;
  student: string;
  hash: string;
  streams: string[];
  parameters: number;
  flops: number;
  epochs: number;
  steps: number;
  loss: string;
  /** Test top-1 (mAP on multi-label sets). */
  accuracy: number;
  metric: 'top1' | 'map';
  /** Model (+ flow for two-stream) latency of the search reward, ms. */
  latencyMs?: number;
  /** B hand-picked: the searched student's latency it was matched to. */
  matchedLatencyMs?: number;
  /** C: end-to-end clip latency. */
  endToEnd?: ClipLatency;
  seconds: number;
}

export interface DistillExperimentsResult {
  runs: ExperimentRun[];
  tables: string;
  tablesFile: string;
  resultsFile: string;
}

function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The student files of a folder (every *.json but the search space). */
export function readHandPickedStudents(dir = STUDENTS_DIR): StudentArch[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && basename(file) !== basename(DEFAULT_STUDENT_SPACE))
    .sort()
    .map((file) => readStudent(join(dir, file)));
}

const atShape = (arch: StudentArch, frames: number, resolution: number): StudentArch =>
  arch.frames === frames && arch.resolution === resolution
    ? arch
    : { ...arch, name: `${arch.name}@${frames}x${resolution}`, frames, resolution };

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (0 for one value). */
export const std = (xs: number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

export async function runDistillExperiments(
  input: DistillExperimentsInput,
): Promise<DistillExperimentsResult> {
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { out, seeds, epochs } = input;
  if (seeds.length === 0)
    throw new InputError('distill experiments: expected at least one seed, got none');
  mkdirSync(join(out, 'runs'), { recursive: true });
  const session = await openDistillSession({
    teacher: input.teacher,
    manifest: input.manifest,
    out,
    cacheDir: input.cacheDir,
    pool: input.pool,
    ...(input.settings ? { settings: input.settings } : {}),
    ...(input.alpha !== undefined ? { alpha: input.alpha } : {}),
    ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
    ...(input.latencyRuns ? { latencyRuns: input.latencyRuns } : {}),
    log,
  });
  try {
    const { frames, size } = session.teacher.config;
    const pin = (arch: StudentArch) =>
      input.studentShape === 'file' ? arch : atShape(arch, frames, size);
    const fixed = pin(input.student ?? readStudent(DEFAULT_FIXED_STUDENT));
    if (studentStreams(fixed).includes('flow'))
      throw new InputError(
        `distill experiments: expected an RGB-only fixed student, got ${fixed.streams} (${fixed.name})`,
      );
    const handPicked = (input.handPicked ?? readHandPickedStudents()).map(pin);
    if (handPicked.length === 0)
      throw new InputError(
        'distill experiments: expected at least one hand-picked student, got none',
      );
    const space = pinnedSpace(
      input.space ?? DEFAULT_STUDENT_SPACE,
      input.studentShape === 'file' ? undefined : { frames, resolution: size },
    );
    const numClasses = session.labels.numClasses;
    const stepsPerEpoch = Math.floor(session.trainItems.length / session.config.batch);
    const runs: ExperimentRun[] = [];

    const once = async (
      id: string,
      make: () => Promise<Omit<ExperimentRun, 'id' | 'seconds'>>,
    ): Promise<ExperimentRun> => {
      const file = join(out, 'runs', `${id}.json`);
      if (existsSync(file)) {
        log(`distill experiments: ${id} done earlier (${file})`);
        const stored = JSON.parse(readFileSync(file, 'utf8')) as ExperimentRun;
        runs.push(stored);
        return stored;
      }
      const started = Date.now();
      const made = await make();
      const run: ExperimentRun = { id, ...made, seconds: (Date.now() - started) / 1000 };
      writeJsonAtomic(file, run);
      runs.push(run);
      log(
        `distill experiments: ${id}: ${run.student} ${run.loss} ${(100 * run.accuracy).toFixed(1)}% ${run.metric}${run.latencyMs !== undefined ? `, ${run.latencyMs.toFixed(1)} ms` : ''} (${run.seconds.toFixed(0)} s)`,
      );
      return run;
    };
    const describe = (arch: StudentArch) => ({
      student: arch.name,
      hash: studentHash(arch),
      streams: studentStreams(arch),
      parameters: countStudentParameters(arch, numClasses).total,
      flops: estimateStudentFlops(arch, numClasses).flops,
    });
    // Trains, scores on the test split and disposes one student.
    const trainAndScore = async (arch: StudentArch, seed: number, alpha?: number) => {
      const trained = await session.trainStudent(arch, epochs, {
        seed,
        ...(alpha !== undefined ? { alpha } : {}),
      });
      try {
        const test = await session.score(
          trained.network,
          trained.template,
          session.testItems,
          session.testSplit,
        );
        const loss =
          trained.loss.kind === 'hard'
            ? 'hard labels only'
            : `KD alpha=${trained.loss.alpha} T=${trained.loss.temperature}`;
        return { steps: trained.steps, loss, accuracy: session.accuracyOf(test) };
      } finally {
        trained.network.dispose();
      }
    };

    for (const seed of seeds) {
      // A: the same student with and without KD.
      for (const [variant, alpha] of [
        ['kd', input.alpha ?? 0.5],
        ['hard', 1],
      ] as const) {
        await once(`A-${variant}-seed${seed}`, async () => ({
          experiment: 'A',
          variant,
          seed,
          ...describe(fixed),
          epochs,
          ...(await trainAndScore(fixed, seed, alpha)),
          metric: session.metric,
        }));
      }
      // B: the searched student vs the hand-picked one of nearest latency.
      const searched = await once(`B-searched-seed${seed}`, async () => {
        const result = await runDistillJob({
          teacher: input.teacher,
          manifest: input.manifest,
          out: join(out, `search-seed${seed}`),
          cacheDir: input.cacheDir,
          pool: input.pool,
          session,
          seed,
          budget: input.budget,
          latencyTarget: input.latencyTarget,
          rgbOnly: true,
          space,
          epochs: input.searchEpochs ?? 1,
          finalEpochs: epochs,
          ...(input.alpha !== undefined ? { alpha: input.alpha } : {}),
          log,
        });
        const chosen = result.table.find((row) => row.role === 'chosen')!;
        const { alpha, temperature } = {
          alpha: input.alpha ?? 0.5,
          temperature: input.temperature ?? 4,
        };
        writeJsonAtomic(
          join(out, `search-seed${seed}`, 'chosen.json'),
          studentToJSON(result.chosen.arch),
        );
        return {
          experiment: 'B',
          variant: 'searched',
          seed,
          ...describe(result.chosen.arch),
          epochs,
          steps: stepsPerEpoch * epochs,
          loss: `KD alpha=${alpha} T=${temperature}`,
          accuracy: chosen.accuracy,
          metric: chosen.metric,
          latencyMs: chosen.latencyMs,
        };
      });
      await once(`B-handpicked-seed${seed}`, async () => {
        const latencies = [];
        for (const arch of handPicked)
          latencies.push({ arch, latency: await session.studentLatency(arch) });
        const nearest = latencies.reduce((a, b) =>
          Math.abs(b.latency.latencyMs - searched.latencyMs!) <
          Math.abs(a.latency.latencyMs - searched.latencyMs!)
            ? b
            : a,
        );
        log(
          `distill experiments: hand-picked ${nearest.arch.name} (${nearest.latency.latencyMs.toFixed(1)} ms) nearest the searched ${searched.student} (${searched.latencyMs!.toFixed(1)} ms) of ${latencies.map((l) => `${l.arch.name} ${l.latency.latencyMs.toFixed(1)}`).join(', ')}`,
        );
        return {
          experiment: 'B',
          variant: 'hand-picked',
          seed,
          ...describe(nearest.arch),
          epochs,
          ...(await trainAndScore(nearest.arch, seed)),
          metric: session.metric,
          latencyMs: nearest.latency.latencyMs,
          matchedLatencyMs: searched.latencyMs!,
        };
      });
    }

    // C: end-to-end clip latency (seed-independent for the teacher and the fixed student).
    const video = session.trainItems[0]!.video;
    const clipRuns = input.clipLatencyRuns ?? 10;
    const studentEndToEnd = async (arch: StudentArch): Promise<ClipLatency> => {
      const network = createStudent(arch, { numClasses, seed: 1 });
      try {
        const { fps, flow, flowBound } = session.config;
        const template = clipTemplate({
          streams: studentStreams(arch),
          frames: arch.frames,
          size: arch.resolution,
          fps,
          flow,
          flowBound,
          cacheDir: input.cacheDir,
        });
        return await measureClipLatency({
          pool: input.pool,
          video,
          template,
          forward: (inputs) => network.apply(inputs, false),
          runs: clipRuns,
        });
      } finally {
        network.dispose();
      }
    };
    const teacherRow = await session.teacherRow();
    await once('C-teacher', async () => ({
      experiment: 'C',
      variant: 'teacher',
      seed: 0,
      student: teacherRow.name,
      hash: '-',
      streams: teacherRow.streams,
      parameters: teacherRow.parameters,
      flops: teacherRow.flops,
      epochs: session.teacher.config.epochs,
      steps: session.teacher.step,
      loss: 'teacher',
      accuracy: teacherRow.accuracy,
      metric: teacherRow.metric,
      latencyMs: teacherRow.latencyMs,
      endToEnd: await measureClipLatency({
        pool: input.pool,
        video,
        template: session.teacher.template(input.cacheDir),
        forward: (inputs) => session.teacher.network.apply(inputs, false),
        runs: clipRuns,
      }),
    }));
    await once('C-fixed-kd', async () => {
      const kd = runs.filter((run) => run.id.startsWith('A-kd-'));
      return {
        experiment: 'C',
        variant: 'fixed KD student',
        seed: 0,
        ...describe(fixed),
        epochs,
        steps: kd[0]!.steps,
        loss: kd[0]!.loss,
        accuracy: mean(kd.map((run) => run.accuracy)),
        metric: session.metric,
        latencyMs: (await session.studentLatency(fixed)).latencyMs,
        endToEnd: await studentEndToEnd(fixed),
      };
    });
    for (const seed of seeds) {
      const searched = runs.find((run) => run.id === `B-searched-seed${seed}`)!;
      await once(`C-searched-seed${seed}`, async () => {
        const arch = readStudent(join(out, `search-seed${seed}`, 'chosen.json'));
        const { id: _id, seconds: _seconds, ...record } = searched;
        return {
          ...record,
          experiment: 'C',
          variant: 'searched student',
          endToEnd: await studentEndToEnd(arch),
        };
      });
    }

    const tables = formatExperimentTables(runs, {
      seeds,
      epochs,
      budget: input.budget,
      latencyTarget: input.latencyTarget,
    });
    const tablesFile = join(out, 'tables.md');
    const resultsFile = join(out, 'results.json');
    writeFileSync(tablesFile, tables);
    writeJsonAtomic(resultsFile, {
      teacher: input.teacher,
      seeds,
      epochs,
      budget: input.budget,
      latencyTarget: input.latencyTarget,
      searchEpochs: input.searchEpochs ?? 1,
      studentShape: input.studentShape ?? 'teacher',
      fixedStudent: studentToJSON(fixed),
      runs,
    });
    return { runs, tables, tablesFile, resultsFile };
  } finally {
    session.dispose();
  }
}

function pinnedSpace(
  space: StudentSpace | string,
  shape: { frames: number; resolution: number } | undefined,
): StudentSpace {
  const parsed =
    typeof space === 'string'
      ? parseStudentSpace(JSON.parse(readFileSync(space, 'utf8')), space)
      : space;
  return shape ? { ...parsed, ...shape } : parsed;
}

const pct = (x: number) => (100 * x).toFixed(1);
const meanStd = (xs: number[], format: (x: number) => string) =>
  `${format(mean(xs))} ± ${format(std(xs))}`;

/** The three markdown tables (A, B, C) from the finished runs. */
export function formatExperimentTables(
  runs: ExperimentRun[],
  settings: { seeds: number[]; epochs: number; budget: number; latencyTarget: number },
): string {
  const metricName = runs[0]?.metric === 'map' ? 'test mAP (%)' : 'test top-1 (%)';
  const bySeed = (list: ExperimentRun[]) =>
    settings.seeds
      .map((seed) => list.find((run) => run.seed === seed))
      .filter((run): run is ExperimentRun => run !== undefined);
  const lines: string[] = [];
  const seedsText = `seeds ${settings.seeds.join(', ')}; mean ± std over seeds, then per seed`;

  lines.push(
    `### A. The same student with and without KD (${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'} each; ${seedsText})`,
    '',
  );
  lines.push(
    `| student | loss | params | steps | ${metricName} | per seed |`,
    '| --- | --- | --- | --- | --- | --- |',
  );
  const kd = bySeed(runs.filter((run) => run.experiment === 'A' && run.variant === 'kd'));
  const hard = bySeed(runs.filter((run) => run.experiment === 'A' && run.variant === 'hard'));
  for (const list of [kd, hard]) {
    if (list.length === 0) continue;
    const first = list[0]!;
    lines.push(
      `| ${first.student} | ${first.loss} | ${first.parameters} | ${first.steps} | ${meanStd(
        list.map((r) => r.accuracy),
        pct,
      )} | ${list.map((r) => pct(r.accuracy)).join(', ')} |`,
    );
  }
  if (kd.length > 0 && kd.length === hard.length) {
    const deltas = kd.map((run, i) => run.accuracy - hard[i]!.accuracy);
    lines.push(
      `| KD − hard (paired) | | | | ${meanStd(deltas, pct)} | ${deltas.map(pct).join(', ')} |`,
    );
  }

  lines.push(
    '',
    `### B. Searched student (budget ${settings.budget}, target ${settings.latencyTarget} ms, RGB-only) vs the hand-picked student of nearest latency (KD, ${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'} each; ${seedsText})`,
    '',
  );
  lines.push(
    `| student | per seed | latency ms | latency per seed | params | ${metricName} | per seed |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const variant of ['searched', 'hand-picked']) {
    const list = bySeed(runs.filter((run) => run.experiment === 'B' && run.variant === variant));
    if (list.length === 0) continue;
    const latencies = list.map((r) => r.latencyMs ?? 0);
    lines.push(
      `| ${variant} | ${list.map((r) => r.student).join(', ')} | ${meanStd(latencies, (x) => x.toFixed(1))} | ${latencies.map((x) => x.toFixed(1)).join(', ')} | ${list.map((r) => r.parameters).join(', ')} | ${meanStd(
        list.map((r) => r.accuracy),
        pct,
      )} | ${list.map((r) => pct(r.accuracy)).join(', ')} |`,
    );
  }

  lines.push(
    '',
    `### C. RGB-only students vs the two-stream teacher: end-to-end latency of one clip at batch 1 (decode + flow + model, no cache)`,
    '',
  );
  lines.push(
    `| network | streams | params | ${metricName} | end-to-end ms | decode ms | flow ms | model ms |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  const cRows = runs.filter((run) => run.experiment === 'C');
  const teacher = cRows.find((run) => run.variant === 'teacher');
  const groups: [string, ExperimentRun[]][] = [
    ['teacher', teacher ? [teacher] : []],
    ['fixed KD student', cRows.filter((run) => run.variant === 'fixed KD student')],
    ['searched student', bySeed(cRows.filter((run) => run.variant === 'searched student'))],
  ];
  for (const [label, list] of groups) {
    if (list.length === 0) continue;
    const e2e = (pick: (t: ClipLatency) => number) =>
      meanStd(
        list.map((r) => pick(r.endToEnd!)),
        (x) => x.toFixed(1),
      );
    const accuracy =
      label === 'fixed KD student'
        ? `${meanStd(
            kd.map((r) => r.accuracy),
            pct,
          )} (A)`
        : list.length > 1
          ? `${meanStd(
              list.map((r) => r.accuracy),
              pct,
            )} (${list.map((r) => pct(r.accuracy)).join(', ')})`
          : pct(list[0]!.accuracy);
    lines.push(
      `| ${label}: ${[...new Set(list.map((r) => r.student))].join(', ')} | ${list[0]!.streams.join('+')} | ${[...new Set(list.map((r) => r.parameters))].join(', ')} | ${accuracy} | ${e2e((t) => t.totalMs)} | ${e2e((t) => t.decodeMs)} | ${e2e((t) => t.flowMs)} | ${e2e((t) => t.modelMs)} |`,
    );
  }
  if (teacher?.endToEnd) {
    const teacherMs = teacher.endToEnd.totalMs;
    const ratios = groups
      .slice(1)
      .filter(([, list]) => list.length > 0)
      .map(
        ([label, list]) =>
          `teacher / ${label} end-to-end time: ${(teacherMs / mean(list.map((r) => r.endToEnd!.totalMs))).toFixed(2)}x`,
      );
    lines.push(
      '',
      `${ratios.join('; ')}; the teacher's flow is ${((100 * teacher.endToEnd.flowMs) / teacherMs).toFixed(1)}% of its end-to-end time.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
