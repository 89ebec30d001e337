/**
 * pipelines/experiments/searchSummary.ts: experiment B's per-arm statistics and the seed-by-seed
 * comparisons between arms, against values worked out by hand, and their tables.
 */
import { describe, expect, it } from 'vitest';
import {
  bestSoFar,
  compareSearches,
  formatComparison,
  searchPairs,
} from '../../pipelines/experiments/searchSummary.ts';

// budget 4, population 2: evaluations 0-1 are the shared start, 2-3 the proposals
const searches = [
  { arm: 'random', seed: 1, fitness: [0.5, 0.6, 0.4, 0.7] },
  { arm: 'random', seed: 2, fitness: [0.3, 0.5, 0.6, 0.2] },
  { arm: 'guided', seed: 2, fitness: [0.3, 0.5, 0.7, 0.7] },
  { arm: 'guided', seed: 1, fitness: [0.5, 0.6, 0.65, null] },
  { arm: 'guided', seed: 3, fitness: [0.5, 0.6] }, // not complete: left out
  { arm: 'plain', seed: 3, fitness: [0.1, 0.2, 0.3, 0.4] }, // no random search of seed 3
];
const options = {
  arms: ['guided', 'random', 'plain'],
  pairs: [
    ['guided', 'random'],
    ['plain', 'random'],
  ] as const,
  budget: 4,
  population: 2,
};

describe('bestSoFar', () => {
  it('keeps the previous best through failed evaluations', () => {
    expect(bestSoFar([null, 0.2, null, 0.1, 0.4])).toEqual([
      Number.NEGATIVE_INFINITY,
      0.2,
      0.2,
      0.2,
      0.4,
    ]);
  });
});

describe('compareSearches', () => {
  const result = compareSearches(searches, options);
  const arm = (name: string) => result.arms.find((a) => a.arm === name)!;
  const pair = (a: string, b: string) => result.differences.find((d) => d.a === a && d.b === b)!;

  it('summarises only complete searches, ordered by seed', () => {
    expect(arm('guided').completeSeeds).toEqual([1, 2]);
    expect(arm('guided').bestAtBudget.values).toEqual([0.65, 0.7]);
    expect(arm('random').bestAtBudget.values).toEqual([0.7, 0.6]);
    expect(arm('plain').completeSeeds).toEqual([3]);
  });

  it('averages the proposals (evaluations after the population), skipping failed ones', () => {
    // guided seed 1: only 0.65; seed 2: 0.7 and 0.7
    expect(arm('guided').proposalMean.values[0]).toBeCloseTo(0.65, 12);
    expect(arm('guided').proposalMean.values[1]).toBeCloseTo(0.7, 12);
    expect(arm('guided').proposalMean.mean).toBeCloseTo(0.675, 12);
    expect(arm('guided').proposalMean.sd).toBeCloseTo(0.05 / Math.SQRT2, 12);
    // random seed 1: 0.4, 0.7 -> mean 0.55, sample sd 0.3 / sqrt 2; seed 2: 0.6, 0.2 -> 0.4
    expect(arm('random').proposalMean.values[0]).toBeCloseTo(0.55, 12);
    expect(arm('random').proposalMean.values[1]).toBeCloseTo(0.4, 12);
    expect(arm('random').proposalSd.values[0]).toBeCloseTo(0.3 / Math.SQRT2, 12);
    expect(arm('guided').proposalSd.values[0]).toBe(0); // one value
  });

  it('counts the proposals above the best of the initial population (failed ones not above)', () => {
    // random seed 1: start best 0.6, proposals 0.4, 0.7 -> 1 of 2; seed 2: start 0.5, 0.6, 0.2
    expect(arm('random').aboveStart.values).toEqual([0.5, 0.5]);
    // guided seed 1: start 0.6, proposals 0.65 and a failed one -> 1 of 2; seed 2: both above 0.5
    expect(arm('guided').aboveStart.values).toEqual([0.5, 1]);
    expect(pair('guided', 'random').aboveStart.values).toEqual([0, 0.5]);
    // a proposal equal to the start's best is not above it
    const tie = compareSearches(
      [{ arm: 'random', seed: 1, fitness: [0.5, 0.6, 0.6, 0.61] }],
      options,
    );
    expect(tie.arms.find((a) => a.arm === 'random')!.aboveStart.values).toEqual([0.5]);
  });

  it('takes the mean of the best-so-far curve', () => {
    // random seed 1: curve 0.5, 0.6, 0.6, 0.7 -> 0.6; seed 2: 0.3, 0.5, 0.6, 0.6 -> 0.5
    expect(arm('random').curveMean.values[0]).toBeCloseTo(0.6, 12);
    expect(arm('random').curveMean.values[1]).toBeCloseTo(0.5, 12);
    // guided seed 1: 0.5, 0.6, 0.65, 0.65 -> 0.6; seed 2: 0.3, 0.5, 0.7, 0.7 -> 0.55
    expect(arm('guided').curveMean.values[1]).toBeCloseTo(0.55, 12);
  });

  it('compares pairs of arms seed by seed, only where both are complete', () => {
    const vs = pair('guided', 'random');
    expect(vs.bestAtBudget.seeds).toEqual([1, 2]);
    expect(vs.bestAtBudget.values[0]).toBeCloseTo(-0.05, 12);
    expect(vs.bestAtBudget.values[1]).toBeCloseTo(0.1, 12);
    expect(vs.bestAtBudget.mean).toBeCloseTo(0.025, 12);
    expect(vs.bestAtBudget.sd).toBeCloseTo(0.15 / Math.SQRT2, 12);
    expect(vs.proposalMean.values[0]).toBeCloseTo(0.1, 12);
    expect(vs.proposalMean.values[1]).toBeCloseTo(0.3, 12);
    expect(vs.curveMean.values[0]).toBeCloseTo(0, 12);
    expect(vs.curveMean.values[1]).toBeCloseTo(0.05, 12);
    expect(result.differences.map((d) => `${d.a}-${d.b}`)).toEqual([
      'guided-random',
      'plain-random',
    ]);
    expect(pair('plain', 'random').bestAtBudget.values).toEqual([]);
    expect(Number.isNaN(pair('plain', 'random').bestAtBudget.mean)).toBe(true);
  });

  it('names the search that has no successful proposal, and a population as large as the budget', () => {
    expect(() =>
      compareSearches([{ arm: 'guided', seed: 4, fitness: [0.5, 0.6, null, null] }], options),
    ).toThrow(/guided seed 4 has no successful evaluation after the first 2/);
    expect(() => compareSearches(searches, { ...options, population: 4 })).toThrow(
      /expected population < budget, got 4 and 4/,
    );
  });
});

describe('searchPairs', () => {
  it("lists B's comparisons among the arms given, in order", () => {
    expect(searchPairs(['guided', 'random', 'plain', 'guided+inherit', 'plain+inherit'])).toEqual([
      ['guided', 'random'],
      ['plain', 'random'],
      ['guided+inherit', 'random'],
      ['plain+inherit', 'random'],
      ['guided', 'plain'],
      ['guided+inherit', 'guided'],
      ['plain+inherit', 'plain'],
      ['guided+inherit', 'plain+inherit'],
    ]);
    expect(searchPairs(['guided', 'plain'])).toEqual([['guided', 'plain']]);
  });
});

describe('formatComparison', () => {
  it('prints one row per arm and per pair, in percent with the seeds in brackets', () => {
    const text = formatComparison(compareSearches(searches, options));
    expect(text).toContain('proposals: evaluations 3-4');
    // guided: best 65 and 70 -> 67.5 ± 3.5 (sample sd of 5 points / sqrt 2)
    expect(text).toContain('| guided | 1, 2 | 67.5 ± 3.5 (65.0, 70.0) |');
    expect(text).toContain('| guided − random | 2.5 ± 10.6 (-5.0, 10.0) |');
    expect(text).toContain('| plain − random | - | - | - | - |');
  });
});
