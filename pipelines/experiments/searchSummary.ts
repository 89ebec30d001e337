/**
 * Experiment B's comparison of the arms, from the searches' fitness lists alone (pure: no files).
 *
 * Best-so-far after the budget is the maximum of ~40 noisy proxy measurements, an extreme value
 * that one lucky training decides. Two statistics use every evaluation instead:
 * - the mean fitness of the *proposals*, the evaluations after the initial population (which all
 *   arms of a seed share): what the search generates once it can use what it has seen. For random
 *   search it is the mean of random genomes; an evolution that concentrates on good regions of the
 *   space proposes better genomes on average.
 * - the share of proposals that beat the best of the initial population: how often the search
 *   improves on where it started.
 * - the mean of the best-so-far curve over all evaluations (the area under it per evaluation),
 *   which rewards finding good genomes early.
 * Arms are compared seed by seed against a reference arm (random search): the searches of a seed
 * start from the same genomes, so the per-seed difference removes the seed's luck in that start.
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
  /** This arm minus the reference arm, on the seeds where both are complete (absent for the reference itself). */
  vsReference?: {
    bestAtBudget: PerSeed;
    proposalMean: PerSeed;
    aboveStart: PerSeed;
    curveMean: PerSeed;
  };
}

export interface SearchComparison {
  budget: number;
  population: number;
  reference: string;
  arms: ArmComparison[];
}

function perSeed(entries: readonly { seed: number; value: number }[]): PerSeed {
  const sorted = [...entries].sort((a, b) => a.seed - b.seed);
  const values = sorted.map((e) => e.value);
  return {
    seeds: sorted.map((e) => e.seed),
    values,
    mean: values.length ? mean(values) : Number.NaN,
    sd: sampleSd(values),
  };
}

/** Best fitness seen after each evaluation (failed evaluations keep the previous best). */
export function bestSoFar(fitness: readonly (number | null)[]): number[] {
  let best = Number.NEGATIVE_INFINITY;
  return fitness.map((f) => {
    best = Math.max(best, f ?? Number.NEGATIVE_INFINITY);
    return best;
  });
}

interface SearchStats {
  seed: number;
  bestAtBudget: number;
  proposalMean: number;
  proposalSd: number;
  aboveStart: number;
  curveMean: number;
}

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
 * Summarises each arm over its complete searches and compares it with `reference` seed by seed.
 * Searches with fewer than `budget` evaluations are left out (their curves are not comparable).
 */
export function compareSearches(
  searches: readonly SearchFitness[],
  options: { arms: readonly string[]; budget: number; population: number; reference: string },
): SearchComparison {
  const { budget, population, reference } = options;
  if (!(population < budget))
    throw new Error(
      `search summary: expected population < budget, got ${population} and ${budget}`,
    );
  const statsByArm = new Map<string, SearchStats[]>();
  for (const arm of options.arms)
    statsByArm.set(
      arm,
      searches
        .filter((s) => s.arm === arm && s.fitness.length >= budget)
        .map((s) => statsOf(s, budget, population)),
    );
  const column = (stats: readonly SearchStats[], key: Exclude<keyof SearchStats, 'seed'>) =>
    perSeed(stats.map((s) => ({ seed: s.seed, value: s[key] })));
  const referenceStats = statsByArm.get(reference) ?? [];
  const arms = options.arms.map((arm): ArmComparison => {
    const stats = statsByArm.get(arm)!;
    const summary: ArmComparison = {
      arm,
      completeSeeds: stats.map((s) => s.seed).sort((a, b) => a - b),
      bestAtBudget: column(stats, 'bestAtBudget'),
      proposalMean: column(stats, 'proposalMean'),
      proposalSd: column(stats, 'proposalSd'),
      aboveStart: column(stats, 'aboveStart'),
      curveMean: column(stats, 'curveMean'),
    };
    if (arm === reference) return summary;
    const paired = stats.flatMap((s) => {
      const r = referenceStats.find((x) => x.seed === s.seed);
      return r ? [[s, r] as const] : [];
    });
    const difference = (key: Exclude<keyof SearchStats, 'seed'>) =>
      perSeed(paired.map(([s, r]) => ({ seed: s.seed, value: s[key] - r[key] })));
    summary.vsReference = {
      bestAtBudget: difference('bestAtBudget'),
      proposalMean: difference('proposalMean'),
      aboveStart: difference('aboveStart'),
      curveMean: difference('curveMean'),
    };
    return summary;
  });
  return { budget, population, reference, arms };
}
