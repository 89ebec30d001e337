/**
 * Latency-aware student search (MnasNet reward; AKD: the accuracy term is the accuracy of the
 * student trained with KD from the teacher, supplied by the caller's `evaluate`).
 *
 * A search space lists choices per architecture field (see evolution/students/space.json): a
 * scalar is fixed, an array is a list of choices (for `kernels`, a list of kernel lists). A
 * candidate is the vector of choice indices ("decisions"); sampling draws each uniformly,
 * mutation redraws one decision to a different choice.
 */
import { z } from 'zod';
import { InputError } from '../errors.ts';
import type { Rng } from '../util/random.ts';
import {
  formatStudentIssue,
  parseStudent,
  safeParseStudent,
  studentHash,
  type StudentArch,
} from './student.ts';

export interface RewardOptions {
  /** Target latency T in ms. */
  target: number;
  /** Exponent w (default -0.07, MnasNet soft constraint; MobileNetV3 small used -0.15). */
  w?: number;
  /** Hard constraint: w = 0 at or below the target, -1 above. */
  hard?: boolean;
}

/** MnasNet: ACC x (LAT / T)^w. */
export function reward(accuracy: number, latencyMs: number, options: RewardOptions): number {
  if (!(options.target > 0))
    throw new InputError(`reward: expected target latency > 0, got ${options.target}`);
  if (!(latencyMs > 0)) throw new InputError(`reward: expected latency > 0, got ${latencyMs}`);
  const w = options.hard ? (latencyMs <= options.target ? 0 : -1) : (options.w ?? -0.07);
  return accuracy * (latencyMs / options.target) ** w;
}

const choices = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const stageSpaceSchema = z.strictObject({
  repeats: choices(z.number().int().min(1)),
  filters: choices(z.number().int().min(1)),
  stride: choices(z.union([z.literal(1), z.literal(2)])),
  expand: choices(z.number().min(1)),
  kernels: z.array(z.array(z.number().int()).min(1)).min(1),
  temporalKernel: choices(z.number().int()).default(3),
  temporalDilation: choices(z.number().int().min(1)).default(1),
  se: choices(z.number().min(0).max(1)).default(0),
  activation: choices(z.enum(['relu', 'hswish'])).default('relu'),
});

const spaceSchema = z.strictObject({
  format: z.literal('assemblenet-student-space').optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  frames: choices(z.number().int().min(1)),
  resolution: choices(z.number().int().min(8)),
  streams: choices(z.enum(['rgb', 'rgb+flow'])).default('rgb'),
  fusion: choices(z.enum(['sum', 'concat'])).default('sum'),
  stem: z.strictObject({
    filters: choices(z.number().int().min(1)),
    kernel: choices(z.number().int()).default(3),
    activation: choices(z.enum(['relu', 'hswish'])).default('hswish'),
  }),
  stages: z.array(stageSpaceSchema).min(1),
  headFilters: choices(z.number().int().min(0)).default(0),
});

export type StudentSpace = z.output<typeof spaceSchema>;

/** Validates a search space JSON value (errors name the path); every sample must be a valid student. */
export function parseStudentSpace(value: unknown, source?: string): StudentSpace {
  const parsed = spaceSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) =>
      formatStudentIssue({
        path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        code: issue.code,
        message: issue.message,
      }),
    );
    throw new InputError(
      `student space: invalid${source ? ` (${source})` : ''}:\n  ${lines.join('\n  ')}`,
    );
  }
  return parsed.data;
}

interface Decision {
  /** Path of the field in the architecture, e.g. ['stages', 1, 'kernels']. */
  path: (string | number)[];
  options: unknown[];
}

/** Every field of the space as a decision (fixed fields have one option). */
export function spaceDecisions(space: StudentSpace): Decision[] {
  const list = (value: unknown, isKernels = false): unknown[] =>
    isKernels ? (value as unknown[]) : Array.isArray(value) ? value : [value];
  const decisions: Decision[] = [];
  for (const field of ['frames', 'resolution', 'streams', 'fusion', 'headFilters'] as const)
    decisions.push({ path: [field], options: list(space[field]) });
  for (const field of ['filters', 'kernel', 'activation'] as const)
    decisions.push({ path: ['stem', field], options: list(space.stem[field]) });
  space.stages.forEach((stage, index) => {
    for (const [field, value] of Object.entries(stage)) {
      decisions.push({ path: ['stages', index, field], options: list(value, field === 'kernels') });
    }
  });
  return decisions;
}

export interface StudentCandidate {
  arch: StudentArch;
  /** Choice index per decision of `spaceDecisions(space)`. */
  decisions: number[];
}

/** The architecture of a decision vector (validated: a space may contain invalid combinations). */
export function archFromDecisions(space: StudentSpace, decisions: readonly number[]): StudentArch {
  const all = spaceDecisions(space);
  if (decisions.length !== all.length)
    throw new InputError(
      `student space: expected ${all.length} decisions, got ${decisions.length}`,
    );
  const value: Record<string, unknown> = {
    name: space.name,
    stem: {},
    stages: space.stages.map(() => ({})),
  };
  all.forEach((decision, i) => {
    const choice = decision.options[decisions[i]];
    if (choice === undefined)
      throw new InputError(
        `student space: decision ${decision.path.join('.')} has no option ${decisions[i]}`,
      );
    let target = value as Record<string | number, unknown>;
    for (const key of decision.path.slice(0, -1))
      target = target[key] as Record<string | number, unknown>;
    target[decision.path[decision.path.length - 1]] = choice;
  });
  const result = safeParseStudent(value);
  if (!result.success)
    throw new InputError(
      `student space: sampled an invalid student: ${result.issues.map(formatStudentIssue).join('; ')}`,
    );
  const arch = result.arch;
  return parseStudent({ ...arch, name: `${space.name}-${studentHash(arch).slice(0, 8)}` });
}

const MAX_TRIES = 50;

function firstValid(space: StudentSpace, draw: () => number[]): StudentCandidate {
  let last: unknown;
  for (let t = 0; t < MAX_TRIES; t++) {
    const decisions = draw();
    try {
      return { arch: archFromDecisions(space, decisions), decisions };
    } catch (error) {
      last = error;
    }
  }
  throw new InputError(
    `student space: no valid student in ${MAX_TRIES} draws (${(last as Error)?.message})`,
  );
}

/** A uniformly random architecture of the space. */
export function sampleStudent(space: StudentSpace, rng: Rng): StudentCandidate {
  const all = spaceDecisions(space);
  return firstValid(space, () => all.map((decision) => rng.randInt(decision.options.length)));
}

/** One decision with several options redrawn to a different option. */
export function mutateStudent(
  space: StudentSpace,
  parent: StudentCandidate,
  rng: Rng,
): StudentCandidate {
  const all = spaceDecisions(space);
  const free = all.flatMap((decision, i) => (decision.options.length > 1 ? [i] : []));
  if (free.length === 0) return parent;
  return firstValid(space, () => {
    const decisions = [...parent.decisions];
    const i = rng.pick(free);
    const other = rng.randInt(all[i].options.length - 1);
    decisions[i] = other >= decisions[i] ? other + 1 : other;
    return decisions;
  });
}

export interface ParetoPoint {
  accuracy: number;
  latencyMs: number;
}

/** The points no other point beats on both accuracy (up) and latency (down), by latency. */
export function paretoFront<T extends ParetoPoint>(points: readonly T[]): T[] {
  const dominated = (p: T) =>
    points.some(
      (q) =>
        q.accuracy >= p.accuracy &&
        q.latencyMs <= p.latencyMs &&
        (q.accuracy > p.accuracy || q.latencyMs < p.latencyMs),
    );
  return points.filter((p) => !dominated(p)).sort((a, b) => a.latencyMs - b.latencyMs);
}

export interface SearchRecord extends ParetoPoint {
  /** Draw number, 0-based (skipped students have one too). */
  index: number;
  arch: StudentArch;
  hash: string;
  /** 0 for failed and skipped students. */
  reward: number;
  /** 'sample' for the initial population, else 'mutate'. */
  origin: 'sample' | 'mutate';
  /** ok: trained and scored; failed: training or scoring failed; skipped: not trained. */
  status: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  reason?: string;
}

/** What `evaluate` found: a score, or why the student has none (a failure does not stop the search). */
export type StudentOutcome =
  | { status?: 'ok'; accuracy: number; latencyMs: number }
  | { status: 'failed'; reason: string; latencyMs?: number }
  /** Not trained (e.g. measured latency far over the target); does not use the budget. */
  | { status: 'skipped'; reason: string; latencyMs: number };

export interface SearchOptions {
  space: StudentSpace;
  /** Number of distinct students trained (ok or failed; skipped ones do not count). */
  budget: number;
  rng: Rng;
  /** KD-trains and measures a student (supplied by the pipeline). */
  evaluate: (arch: StudentArch, index: number) => Promise<StudentOutcome>;
  reward: RewardOptions;
  /** Random students before mutation starts (default min(budget, 8)). */
  population?: number;
  /** Tournament size for picking a parent among the recent population (default 3). */
  tournament?: number;
  /** Most students drawn in all, skipped ones included (default 4 x budget). */
  maxDraws?: number;
  /** Called after each evaluation. */
  onRecord?: (record: SearchRecord) => void;
}

export interface SearchResult {
  records: SearchRecord[];
  best: SearchRecord;
  pareto: SearchRecord[];
}

/**
 * Regularised-evolution search: `population` random students, then each step a tournament over
 * the most recent `population` trained students picks a parent by reward and a mutation of it is
 * evaluated. Students already drawn (same hash) are redrawn, not re-evaluated. Failed students
 * use budget and score 0; skipped ones use no budget (at most `maxDraws` draws in all).
 */
export async function searchStudents(options: SearchOptions): Promise<SearchResult> {
  const { space, budget, rng, evaluate } = options;
  if (!Number.isInteger(budget) || budget < 1)
    throw new InputError(`searchStudents: expected budget >= 1, got ${budget}`);
  const population = Math.min(budget, options.population ?? 8);
  const tournament = options.tournament ?? 3;
  const maxDraws = options.maxDraws ?? 4 * budget;
  const records: SearchRecord[] = [];
  const evaluated: { record: SearchRecord; candidate: StudentCandidate }[] = [];
  const seen = new Set<string>();
  const trained = () => records.filter((record) => record.status !== 'skipped').length;
  while (trained() < budget && records.length < maxDraws) {
    const origin: SearchRecord['origin'] = evaluated.length < population ? 'sample' : 'mutate';
    let candidate: StudentCandidate | undefined;
    for (let t = 0; t < MAX_TRIES && !candidate; t++) {
      let next: StudentCandidate;
      if (origin === 'sample') {
        next = sampleStudent(space, rng);
      } else {
        const recent = evaluated.slice(-population);
        const entrants = Array.from({ length: Math.min(tournament, recent.length) }, () =>
          rng.pick(recent),
        );
        const parent = entrants.reduce((a, b) => (b.record.reward > a.record.reward ? b : a));
        next = mutateStudent(space, parent.candidate, rng);
      }
      if (!seen.has(studentHash(next.arch))) candidate = next;
    }
    if (!candidate) break; // the space is exhausted
    const hash = studentHash(candidate.arch);
    seen.add(hash);
    const index = records.length;
    const outcome = await evaluate(candidate.arch, index);
    const base = { index, arch: candidate.arch, hash, origin };
    const record: SearchRecord =
      outcome.status === 'failed' || outcome.status === 'skipped'
        ? {
            ...base,
            accuracy: 0,
            latencyMs: outcome.latencyMs ?? Number.NaN,
            reward: 0,
            status: outcome.status,
            reason: outcome.reason,
          }
        : {
            ...base,
            accuracy: outcome.accuracy,
            latencyMs: outcome.latencyMs,
            reward: reward(outcome.accuracy, outcome.latencyMs, options.reward),
            status: 'ok',
          };
    records.push(record);
    if (record.status !== 'skipped') evaluated.push({ record, candidate });
    options.onRecord?.(record);
  }
  const ok = records.filter((record) => record.status === 'ok');
  if (ok.length === 0)
    throw new InputError(
      `searchStudents: expected at least one student to train, got none of ${records.length}:\n  ${records.map((r) => `${r.arch.name}: ${r.status}: ${r.reason}`).join('\n  ')}`,
    );
  return {
    records,
    best: chooseStudent(ok, options.reward.target),
    pareto: paretoFront(ok),
  };
}

/**
 * The student to keep: the best reward among those at or under the latency target; only when
 * none is, the best reward overall (the soft MnasNet reward can rank a slightly slower, more
 * accurate student first, but the user asked for the target).
 */
export function chooseStudent(records: SearchRecord[], target: number): SearchRecord {
  const withinTarget = records.filter((record) => record.latencyMs <= target);
  const pool = withinTarget.length > 0 ? withinTarget : records;
  return pool.reduce((a, b) => (b.reward > a.reward ? b : a));
}
