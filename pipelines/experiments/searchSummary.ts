/**
 * Experiment B's comparison of the arms, from the searches' fitness lists alone (pure: no files).
 *
 * Best-so-far after the budget is the maximum of ~40 noisy proxy measurements, an extreme value
 * that one lucky training decides. Three statistics use every evaluation instead:
 * - the mean fitness of the *proposals*, the evaluations after the initial population (which all
 *   arms of a seed share): what the search generates once it can use what it has seen. For random
 *   search it is the mean of random genomes; an evolution that concentrates on good regions of the
 *   space proposes better genomes on average.
 * - the share of proposals that beat the best of the initial population: how often the search
 *   improves on where it started.
 * - the mean of the best-so-far curve over all evaluations (the area under it per evaluation),
 *   which rewards finding good genomes early.
 * Arms are compared in pairs, seed by seed (e.g. guided minus random search, guided minus plain,
 * guided+inherit minus guided): the searches of a seed start from the same genomes, so the
 * per-seed difference removes the seed's luck in that start.
 */
import { mean, sampleSd } from '../../src/util/stats.ts';

export interface SearchFitness {
  arm: string;
  seed: number;
  /** Validation fitness per evaluation, by index (null: the evaluation failed). */
  fitness: readonly (number | null)[];
}

/** Values per seed (ascending seed), with their mean and sample sd. */
export interface PerSeed {
  seeds: number[];
  values: number[];
  mean: number;
  sd: number;
}

/** The statistics of one search that the comparison summarises. */
type Statistic = 'bestAtBudget' | 'proposalMean' | 'proposalSd' | 'aboveStart' | 'curveMean';
/** The statistics compared between arms (the sd of the proposals describes an arm only). */
type Compared = Exclude<Statistic, 'proposalSd'>;

export interface ArmComparison {
  arm: string;
  /** Seeds whose search has all `budget` evaluations (only these are summarised). */
  completeSeeds: number[];
  bestAtBudget: PerSeed;
  /** Mean fitness of the evaluations with index >= population. */
  proposalMean: PerSeed;
  /** Sample sd of those evaluations within each search. */
  proposalSd: PerSeed;
  /** Share of the proposals (failed ones count as not above) above the initial population's best. */
  aboveStart: PerSeed;
  curveMean: PerSeed;
}

/** Arm `a` minus arm `b`, on the seeds where both searches are complete. */
export type PairDifference = { a: string; b: string } & Record<Compared, PerSeed>;

export interface SearchComparison {
  budget: number;
  population: number;
  arms: ArmComparison[];
  differences: PairDifference[];
}

/** Values by ascending seed, with their mean and sample sd. */
export function perSeed(entries: readonly { seed: number; value: number }[]): PerSeed {
  const sorted = [...entries].sort((a, b) => a.seed - b.seed);
  const values = sorted.map((e) => e.value);
  return {
    seeds: sorted.map((e) => e.seed),
    values,
    mean: values.length ? mean(values) : Number.NaN,
    sd: sampleSd(values),
  };
}

/** A search with all `budget` evaluations (only these are summarised and compared). */
export const isComplete = (search: SearchFitness, budget: number): boolean =>
  search.fitness.length >= budget;

/** Best fitness seen after each evaluation (failed evaluations keep the previous best). */
export function bestSoFar(fitness: readonly (number | null)[]): number[] {
  let best = Number.NEGATIVE_INFINITY;
  return fitness.map((f) => {
    best = Math.max(best, f ?? Number.NEGATIVE_INFINITY);
    return best;
  });
}

type SearchStats = { seed: number } & Record<Statistic, number>;

function statsOf(search: SearchFitness, budget: number, population: number): SearchStats {
  const fitness = search.fitness.slice(0, budget);
  const proposals = fitness.slice(population).filter((f): f is number => f !== null);
  const curve = bestSoFar(fitness);
  const startBest = curve[population - 1]!;
  if (proposals.length === 0 || !Number.isFinite(curve[0]!))
    throw new Error(
      `search summary: ${search.arm} seed ${search.seed} has no successful ${
        proposals.length === 0 ? `evaluation after the first ${population}` : 'first evaluation'
      }`,
    );
  return {
    seed: search.seed,
    bestAtBudget: curve[budget - 1]!,
    proposalMean: mean(proposals),
    proposalSd: sampleSd(proposals),
    aboveStart: proposals.filter((f) => f > startBest).length / (budget - population),
    curveMean: mean(curve),
  };
}

/**
 * Summarises each arm over its complete searches, and each pair [a, b] of `pairs` as a minus b
 * seed by seed. Searches with fewer than `budget` evaluations are left out (their curves are not
 * comparable).
 */
export function compareSearches(
  searches: readonly SearchFitness[],
  options: {
    arms: readonly string[];
    pairs: readonly (readonly [string, string])[];
    budget: number;
    population: number;
  },
): SearchComparison {
  const { budget, population } = options;
  if (!(population < budget))
    throw new Error(
      `search summary: expected population < budget, got ${population} and ${budget}`,
    );
  const statsOfArm = (arm: string) =>
    searches
      .filter((s) => s.arm === arm && isComplete(s, budget))
      .map((s) => statsOf(s, budget, population))
      .sort((x, y) => x.seed - y.seed);
  const column = (stats: readonly SearchStats[], key: Statistic) =>
    perSeed(stats.map((s) => ({ seed: s.seed, value: s[key] })));
  const arms = options.arms.map((arm): ArmComparison => {
    const stats = statsOfArm(arm);
    return {
      arm,
      completeSeeds: stats.map((s) => s.seed),
      bestAtBudget: column(stats, 'bestAtBudget'),
      proposalMean: column(stats, 'proposalMean'),
      proposalSd: column(stats, 'proposalSd'),
      aboveStart: column(stats, 'aboveStart'),
      curveMean: column(stats, 'curveMean'),
    };
  });
  const differences = options.pairs.map(([a, b]): PairDifference => {
    const others = statsOfArm(b);
    const paired = statsOfArm(a).flatMap((s) => {
      const other = others.find((x) => x.seed === s.seed);
      return other ? [[s, other] as const] : [];
    });
    const difference = (key: Compared) =>
      perSeed(paired.map(([s, other]) => ({ seed: s.seed, value: s[key] - other[key] })));
    return {
      a,
      b,
      bestAtBudget: difference('bestAtBudget'),
      proposalMean: difference('proposalMean'),
      aboveStart: difference('aboveStart'),
      curveMean: difference('curveMean'),
    };
  });
  return { budget, population, arms, differences };
}

/**
 * The comparisons experiment B reads, among `arms`: each arm against random search, guided against
 * plain (the learned weights against random pruning), each inheriting arm against the same arm
 * without inheritance, and the two inheriting arms against each other.
 */
export function searchPairs(arms: readonly string[]): [string, string][] {
  const candidates: [string, string][] = [
    ...arms.filter((arm) => arm !== 'random').map((arm): [string, string] => [arm, 'random']),
    ['guided', 'plain'],
    ['guided+inherit', 'guided'],
    ['plain+inherit', 'plain'],
    ['guided+inherit', 'plain+inherit'],
  ];
  return candidates.filter(([a, b]) => arms.includes(a) && arms.includes(b));
}

/** The comparison as two markdown tables (values in percent or points; per seed in brackets). */
export function formatComparison(comparison: SearchComparison): string {
  const pts = (x: number) => (100 * x).toFixed(1);
  const text = (p: PerSeed) =>
    p.values.length ? `${pts(p.mean)} ± ${pts(p.sd)} (${p.values.map(pts).join(', ')})` : '-';
  const { population, budget } = comparison;
  const lines = [
    `Every evaluation (proposals: evaluations ${population + 1}-${budget}, after the shared start); per seed in brackets.`,
    "| arm | complete seeds | best val (%) | mean val of the proposals (%) | sd of the proposals (%) | proposals above the start's best (%) | mean of the best-so-far curve (%) |",
    `|${' --- |'.repeat(7)}`,
    ...comparison.arms.map(
      (arm) =>
        `| ${arm.arm} | ${arm.completeSeeds.join(', ') || '-'} | ${text(arm.bestAtBudget)} | ${text(arm.proposalMean)} | ${text(arm.proposalSd)} | ${text(arm.aboveStart)} | ${text(arm.curveMean)} |`,
    ),
    '',
    'Differences, seed by seed (points; per seed in brackets):',
    "| comparison | best val | mean val of the proposals | proposals above the start's best | mean of the curve |",
    `|${' --- |'.repeat(5)}`,
    ...comparison.differences.map(
      (d) =>
        `| ${d.a} − ${d.b} | ${text(d.bestAtBudget)} | ${text(d.proposalMean)} | ${text(d.aboveStart)} | ${text(d.curveMean)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
