/**
 * The distillation job: a trained teacher checkpoint -> a searched, latency-aware student saved
 * as an ordinary checkpoint (`eval` and `classify` load it).
 *
 *   teacher outputs of every train variant and val/test clip, once (session.ts)
 *   -> searchStudents, every candidate: measured latency (job's engine + the pool's flow time);
 *      over the ceiling: skipped, not trained; else trained in its own process (candidateTask.ts)
 *      with the search objective and scored on val -> MnasNet reward; a crash is a failed
 *      candidate with its reason; every candidate journaled (journal.ts, --resume)
 *   -> the chosen student trained longer (own process, final objective) -> out/student/
 *   -> compound-scaled family (phi -1, 0, 1) as JSON -> out/family/
 *   -> table (teacher, chosen, Pareto front, every candidate) -> out/distill.json
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  InputError,
  KD_DEFAULTS,
  Rng,
  countStudentParameters,
  describeError,
  estimateStudentFlops,
  latestCheckpoint,
  parseStudentSpace,
  runInChildProcess,
  scaleStudent,
  searchStudents,
  studentHash,
  studentToJSON,
  tf,
  type SearchRecord,
  type StudentArch,
  type StudentObjective,
  type StudentOutcome,
  type StudentSpace,
  type ClipPool,
  writeJsonAtomic,
} from '../../../src/index.ts';
import type { Manifest } from '../../../datasets/index.ts';
import { RUN_CONFIG_DEFAULTS } from '../../../src/networks/runConfig.ts';
import type { CandidateRequest, CandidateResult } from './candidateTask.ts';
import type { StudentLatency } from './costs.ts';
import {
  readSearchJournal,
  settingsDiff,
  openSearchJournalWriter,
  type SearchJournalWriter,
  type CandidateEntry,
  type FinalEntry,
} from './journal.ts';
import { studentRow, type SplitScore } from './score.ts';
import { openDistillSession, type DistillSession } from './session.ts';
import type { DistillTableRow } from './table.ts';
import type { StudentTrainSettings } from './trainStudent.ts';
import { teacherIdentity } from './teacherOutputs.ts';

const CANDIDATE_TASK = new URL('./candidateTask.ts', import.meta.url);

export const DEFAULT_STUDENT_SPACE = resolve(
  import.meta.dirname,
  '../../../evolution/students/space.json',
);

/** The job's defaults, defined once (the CLI and pipeline stages read them from here). */
export const DISTILL_DEFAULTS = {
  budget: 8,
  latencyTargetMs: 30,
  w: -0.07,
  searchEpochs: 1,
  /** Candidates measured slower than this multiple of the target are not trained. */
  latencyCeiling: 2,
  ...KD_DEFAULTS,
  /** Feature distillation off (DEFAULT_FEATURE_WEIGHT in session.ts is its weight when on). */
  featureWeight: 0,
  /** AKD: candidates are trained with KD for the reward. */
  searchLoss: 'kd',
  /** Clip-pool workers of each candidate's process (the candidates share the cores). */
  candidateWorkers: 1,
} as const;

/** How the search scores candidates and how the chosen one is trained. */
export interface DistillObjectives {
  /** AKD (default): candidates trained with KD; 'hard': trained on the labels only (NAS + KD). */
  search: StudentObjective;
  final: StudentObjective;
}

export interface DistillJobInput {
  /** Teacher checkpoint (step folder, checkpoints root, or a training run's --out). */
  teacher: string;
  manifest: Manifest;
  out: string;
  cacheDir: string;
  pool: ClipPool;
  /** Worker threads of each candidate's own clip pool (default 1). */
  workers?: number;
  /** Students trained by the search (default DISTILL_DEFAULTS.budget; skipped ones do not count). */
  budget?: number;
  /** Target latency T of the reward, ms (default DISTILL_DEFAULTS.latencyTargetMs). */
  latencyTarget?: number;
  /** Candidates measured slower than latencyCeiling x T are not trained (DISTILL_DEFAULTS). */
  latencyCeiling?: number;
  /** Reward exponent w (default DISTILL_DEFAULTS.w). */
  w?: number;
  /** Search RGB-only students (no flow: they do not pay its cost). */
  rgbOnly?: boolean;
  /** Search space: a parsed space or a JSON file (default evolution/students/space.json). */
  space?: StudentSpace | string;
  /** Epochs of each searched student (default DISTILL_DEFAULTS.searchEpochs). */
  epochs?: number;
  /** Epochs of the chosen student (default: the teacher's training epochs). */
  finalEpochs?: number;
  /** Weight of the hard-label loss (default KD_DEFAULTS.alpha). */
  alpha?: number;
  /** KD temperature (default 4). */
  temperature?: number;
  /** 'kd' (AKD, default): candidates trained with KD; 'hard': labels only, KD for the chosen one. */
  searchLoss?: 'kd' | 'hard';
  /** Feature-distillation weight of the chosen student's training (default 0: off). */
  featureWeight?: number;
  seed?: number;
  /** Student training settings over the teacher's (lr, batch, epochs = default --final-epochs, ...). */
  settings?: StudentTrainSettings;
  /**
   * true: continue the search journaled in `out` (finished candidates are not trained again);
   * false: refuse a folder with a journal; unset (pipeline stages): continue when there is one.
   */
  resume?: boolean;
  /** An open session (teacher, cached logits, clips) to reuse; it stays open. */
  session?: DistillSession;
  /** Timed latency runs per student (default 10). */
  latencyRuns?: number;
  progress?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DistillJobResult {
  teacherLogits: { file: string; clips: number; computed: number; cached: number };
  target: number;
  records: SearchRecord[];
  pareto: SearchRecord[];
  chosen: {
    arch: StudentArch;
    hash: string;
    checkpoint: string;
    archFile: string;
    latencyMs: number;
    target: number;
    meetsTarget: boolean;
    test: SplitScore;
  };
  family: { phi: number; file: string; parameters: number; flops: number }[];
  table: DistillTableRow[];
  /** Candidates journaled by an earlier run and not trained again. */
  resumed: number;
  seconds: number;
}

/**
 * The search space: the given one as written; by default evolution/students/space.json at the
 * teacher's clip shape (frames, resolution), so students read the clips the teacher was trained
 * and cached on (the default space's own 64-112 px inputs are sized for Kinetics-like videos).
 */
function loadSpace(
  space: StudentSpace | string | undefined,
  rgbOnly: boolean,
  teacherShape: { frames: number; size: number },
): StudentSpace {
  const file = typeof space === 'string' ? space : space ? undefined : DEFAULT_STUDENT_SPACE;
  let parsed = file
    ? parseStudentSpace(JSON.parse(readFileSync(file, 'utf8')), file)
    : (space as StudentSpace);
  if (space === undefined)
    parsed = { ...parsed, frames: teacherShape.frames, resolution: teacherShape.size };
  return rgbOnly ? { ...parsed, streams: 'rgb' } : parsed;
}

/** A child's failure as one readable line (a wasm abort dumps kilobytes of minified source). */
export function failureReason(error: unknown): string {
  const text = describeError(error).replace(/\s+/g, ' ');
  const key =
    /(RuntimeError|Aborted|out of memory|memory access out of bounds|EngineError|heap)[^|]{0,160}/i.exec(
      text,
    );
  const reason = key && !text.startsWith(key[0]) ? `${text.slice(0, 120)} ... ${key[0]}` : text;
  return reason.length > 400 ? `${reason.slice(0, 400)}...` : reason;
}

export async function runDistillJob(input: DistillJobInput): Promise<DistillJobResult> {
  const started = Date.now();
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out = resolve(input.out);
  const target = input.latencyTarget ?? DISTILL_DEFAULTS.latencyTargetMs;
  const ceiling = target * (input.latencyCeiling ?? DISTILL_DEFAULTS.latencyCeiling);
  const budget = input.budget ?? DISTILL_DEFAULTS.budget;
  const searchEpochs = input.epochs ?? DISTILL_DEFAULTS.searchEpochs;
  const seed = input.seed ?? input.settings?.seed ?? RUN_CONFIG_DEFAULTS.seed;
  const kd = {
    alpha: input.alpha ?? DISTILL_DEFAULTS.alpha,
    temperature: input.temperature ?? DISTILL_DEFAULTS.temperature,
  };
  const objectives: DistillObjectives = {
    search: { logits: input.searchLoss ?? DISTILL_DEFAULTS.searchLoss, featureWeight: 0, ...kd },
    final: {
      logits: 'kd',
      featureWeight: input.featureWeight ?? DISTILL_DEFAULTS.featureWeight,
      ...kd,
    },
  };

  const session =
    input.session ??
    (await openDistillSession({
      teacher: input.teacher,
      manifest: input.manifest,
      out,
      cacheDir: input.cacheDir,
      pool: input.pool,
      features: objectives.final.featureWeight > 0,
      ...(input.settings ? { settings: input.settings } : {}),
      ...(input.latencyRuns ? { latencyRuns: input.latencyRuns } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      log,
    }));
  const journalFile = join(out, 'search-journal.jsonl');
  let writer: SearchJournalWriter | undefined;
  try {
    const { config, testSplit, labels } = session;
    const space = loadSpace(input.space, Boolean(input.rgbOnly), session.teacher.config);
    const finalEpochs = input.finalEpochs ?? config.epochs;
    const settings = {
      teacher: teacherIdentity(session.teacher),
      space,
      budget,
      seed,
      target,
      ceiling,
      w: input.w ?? DISTILL_DEFAULTS.w,
      searchEpochs,
      finalEpochs,
      objectives,
      settings: input.settings ?? {},
    };

    // The journal: a fresh run refuses an existing one; --resume needs the same settings.
    const journal = readSearchJournal(journalFile);
    if (journal.header && input.resume === false)
      throw new InputError(
        `distill: ${journalFile} holds an earlier search (${journal.candidates.length} candidates); pass --resume to continue it or choose another --out`,
      );
    if (journal.header) {
      const diff = settingsDiff(journal.header.settings, settings);
      if (diff.length > 0)
        throw new InputError(
          `distill: --resume expected the journal's settings, got changes: ${diff.join('; ')}`,
          journalFile,
        );
      if (journal.tornBytes > 0)
        log(`distill: cut a torn last line (${journal.tornBytes} bytes) off ${journalFile}`);
    }
    writer = openSearchJournalWriter(journalFile, journal.validBytes);
    if (!journal.header)
      writer.append({ type: 'header', version: 1, settings, startedAt: new Date().toISOString() });
    const journaled = new Map(journal.candidates.map((entry) => [entry.index, entry]));
    let resumed = 0;

    const child = (
      request: Omit<
        CandidateRequest,
        'teacher' | 'manifest' | 'out' | 'cacheDir' | 'workers' | 'settings'
      >,
      label: string,
    ) =>
      runInChildProcess<CandidateRequest, CandidateResult>(
        CANDIDATE_TASK,
        {
          teacher: session.teacher.checkpointPath,
          manifest: input.manifest,
          out,
          cacheDir: input.cacheDir,
          workers: input.workers ?? DISTILL_DEFAULTS.candidateWorkers,
          ...(input.settings ? { settings: input.settings } : {}),
          ...request,
        },
        {
          label,
          env: { ASSEMBLENET_BACKEND: tf.getBackend() },
          onStderr: (line) => {
            if (/^distill: .*(heap|batch)/.test(line)) log(line);
          },
          ...(input.signal ? { signal: input.signal } : {}),
        },
      );

    // The search.
    const entries = new Map<string, CandidateEntry>();
    const evaluate = async (arch: StudentArch, index: number): Promise<StudentOutcome> => {
      const hash = studentHash(arch);
      const known = journaled.get(index);
      if (known) {
        if (known.hash !== hash)
          throw new InputError(
            `distill: --resume expected candidate ${index} to be ${known.hash}, the search drew ${hash}`,
            journalFile,
          );
        resumed++;
        entries.set(hash, known);
        return outcomeOf(known);
      }
      const begun = Date.now();
      const entry: CandidateEntry = {
        type: 'candidate',
        index,
        hash,
        arch: studentToJSON(arch),
        status: 'ok',
        accuracy: 0,
        latency: null,
        seconds: 0,
        finishedAt: '',
      };
      try {
        entry.latency = await session.costs.studentLatency(arch);
      } catch (error) {
        Object.assign(entry, {
          status: 'failed',
          reason: `latency probe: ${failureReason(error)}`,
        });
      }
      if (entry.latency && entry.latency.latencyMs > ceiling) {
        Object.assign(entry, {
          status: 'skipped',
          reason: `measured ${entry.latency.latencyMs.toFixed(1)} ms > ceiling ${ceiling.toFixed(1)} ms (${(ceiling / target).toFixed(1)} x target)`,
        });
      } else if (entry.status === 'ok') {
        try {
          const result = await child(
            {
              objective: objectives.search,
              arch,
              epochs: searchEpochs,
              seed,
              score: ['val', 'test'],
            },
            `student ${arch.name}`,
          );
          entry.accuracy = session.accuracyOf(result.val!);
          Object.assign(entry, {
            val: result.val,
            test: result.test,
            batch: result.batch,
            steps: result.steps,
            ...(result.batchMessage ? { reason: result.batchMessage } : {}),
          });
        } catch (error) {
          Object.assign(entry, { status: 'failed', reason: failureReason(error) });
        }
      }
      entry.seconds = (Date.now() - begun) / 1000;
      entry.finishedAt = new Date().toISOString();
      writer!.append(entry);
      entries.set(hash, entry);
      return outcomeOf(entry);
    };
    const search = await searchStudents({
      space,
      budget,
      rng: Rng.fromSeed(seed),
      reward: { target, w: settings.w },
      evaluate,
      onRecord: (record) =>
        log(
          `distill: #${record.index} ${record.arch.name} ${record.arch.frames}x${record.arch.resolution} ${record.arch.streams} ` +
            (record.status === 'ok'
              ? `${session.metric} ${(100 * record.accuracy).toFixed(1)}% ${record.latencyMs.toFixed(1)} ms reward ${record.reward.toFixed(4)}`
              : `${record.status}: ${record.reason}`),
        ),
    });
    if (resumed > 0)
      log(`distill: ${resumed} candidates read from ${journalFile}, not trained again`);

    // The chosen student (best reward within the target; the next one if its training fails).
    const ranked = rankForChoice(
      search.records.filter((record) => record.status === 'ok'),
      target,
    );
    const studentDir = join(out, 'student');
    const archFile = join(studentDir, 'student.json');
    let chosen: { record: SearchRecord; final: FinalEntry } | undefined;
    for (const record of ranked) {
      const done = journal.finals.find((entry) => entry.hash === record.hash);
      if (done?.status === 'ok' && done.checkpoint && existsSync(done.checkpoint)) {
        log(`distill: final student ${record.arch.name} read from ${journalFile}`);
        chosen = { record, final: done };
        break;
      }
      if (done?.status === 'failed') continue;
      const begun = Date.now();
      rmSync(join(studentDir, 'checkpoints'), { recursive: true, force: true });
      writeJsonAtomic(archFile, studentToJSON(record.arch));
      let final: FinalEntry;
      try {
        const result = await child(
          {
            objective: objectives.final,
            arch: record.arch,
            epochs: finalEpochs,
            seed,
            checkpointDir: join(studentDir, 'checkpoints'),
            score: ['test'],
          },
          `final student ${record.arch.name}`,
        );
        const checkpoint = await latestCheckpoint(join(studentDir, 'checkpoints'));
        if (!checkpoint)
          throw new InputError(
            `distill: expected a student checkpoint under ${studentDir}, got none`,
          );
        final = {
          type: 'final',
          hash: record.hash,
          status: 'ok',
          checkpoint,
          test: result.test!,
          batch: result.batch,
          steps: result.steps,
          seconds: (Date.now() - begun) / 1000,
          finishedAt: new Date().toISOString(),
        };
      } catch (error) {
        final = {
          type: 'final',
          hash: record.hash,
          status: 'failed',
          reason: failureReason(error),
          seconds: (Date.now() - begun) / 1000,
          finishedAt: new Date().toISOString(),
        };
        log(
          `distill: final training of ${record.arch.name} failed (${final.reason}); trying the next student`,
        );
      }
      writer.append(final);
      if (final.status === 'ok') {
        chosen = { record, final };
        break;
      }
    }
    if (!chosen)
      throw new InputError(
        `distill: expected the final training of one searched student to succeed, got ${ranked.length} failures (see ${journalFile})`,
      );
    const best = chosen.record;
    const latencyOf = (hash: string): StudentLatency | null => entries.get(hash)?.latency ?? null;
    const chosenLatency = latencyOf(best.hash)!;

    // Compound-scaled family of the chosen student.
    const family: DistillJobResult['family'] = [];
    for (const phi of [-1, 0, 1]) {
      try {
        const scaled = scaleStudent(best.arch, phi);
        const file = join(out, 'family', `${best.arch.name}-phi${phi}.json`);
        writeJsonAtomic(file, studentToJSON(scaled));
        family.push({
          phi,
          file,
          parameters: countStudentParameters(scaled, labels.numClasses).total,
          flops: estimateStudentFlops(scaled, labels.numClasses).flops,
        });
      } catch (error) {
        log(`distill: no phi=${phi} member: ${(error as Error).message}`);
      }
    }

    // The table on the test split: teacher, chosen, Pareto front, every candidate.
    const row = (
      record: SearchRecord,
      role: DistillTableRow['role'],
      test: SplitScore | null,
      epochs: number,
    ) => studentRow(labels, testSplit, record.arch, role, test, latencyOf(record.hash), epochs);
    const table: DistillTableRow[] = [
      await session.teacherRow(),
      row(best, 'chosen', chosen.final.test!, finalEpochs),
      ...search.pareto.map((record) =>
        row(record, 'pareto', entries.get(record.hash)?.test ?? null, searchEpochs),
      ),
      ...search.records.map((record) => {
        const entry = entries.get(record.hash);
        return {
          ...row(record, 'candidate', entry?.test ?? null, searchEpochs),
          status: record.status,
          ...(entry?.reason ? { reason: entry.reason } : {}),
          ...(entry?.batch !== undefined && entry.batch !== config.batch
            ? { batch: entry.batch }
            : {}),
        };
      }),
    ];
    const result: DistillJobResult = {
      teacherLogits: session.teacherLogits,
      target,
      records: search.records,
      pareto: search.pareto,
      chosen: {
        arch: best.arch,
        hash: best.hash,
        checkpoint: chosen.final.checkpoint!,
        archFile,
        latencyMs: chosenLatency.latencyMs,
        target,
        meetsTarget: chosenLatency.latencyMs <= target,
        test: chosen.final.test!,
      },
      family,
      table,
      resumed,
      seconds: (Date.now() - started) / 1000,
    };
    writeJsonAtomic(join(out, 'distill.json'), result);
    return result;
  } finally {
    writer?.close();
    if (!input.session) session.dispose();
  }
}

function outcomeOf(entry: CandidateEntry): StudentOutcome {
  if (entry.status === 'ok')
    return { accuracy: entry.accuracy, latencyMs: entry.latency!.latencyMs };
  if (entry.status === 'skipped')
    return { status: 'skipped', reason: entry.reason ?? '', latencyMs: entry.latency!.latencyMs };
  return {
    status: 'failed',
    reason: entry.reason ?? '',
    ...(entry.latency ? { latencyMs: entry.latency.latencyMs } : {}),
  };
}

/** The order students are tried for the final training: within the target by reward, then the rest by reward. */
export function rankForChoice(records: SearchRecord[], target: number): SearchRecord[] {
  const byReward = (a: SearchRecord, b: SearchRecord) => b.reward - a.reward;
  return [
    ...records.filter((record) => record.latencyMs <= target).sort(byReward),
    ...records.filter((record) => !(record.latencyMs <= target)).sort(byReward),
  ];
}
