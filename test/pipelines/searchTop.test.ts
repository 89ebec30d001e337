/**
 * pipelines/experiments/searchTop.ts: the top K distinct genomes of a search, and the per-arm
 * summary of their full-recipe scores, against values worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../evolution/index.ts';
import {
  summarizeTop,
  topEvaluations,
  type TopScore,
} from '../../pipelines/experiments/searchTop.ts';
import type { Genome } from '../../src/index.ts';

const genome = (dilation: number): Genome =>
  ({
    name: `g${dilation}`,
    modulesPerLevel: [1, 1, 1, 1],
    fusion: 'sigmoid',
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { level: 0, inputs: [0], filters: 32, dilation, stride: 1 },
    ],
  }) as Genome;

const evaluation = (
  index: number,
  fitness: number | null,
  dilation: number,
  status: 'ok' | 'failed' = 'ok',
): EvaluationRecord => ({
  type: 'evaluation',
  index,
  genome: { ...genome(dilation), name: `candidate-${index}` },
  keys: [],
  parent: null,
  mutation: [],
  status,
  fitness,
  connectionWeights: null,
  seconds: 1,
  finishedAt: '2026-11-30T00:00:00.000Z',
});

describe('topEvaluations', () => {
  const journal = [
    evaluation(0, 0.6, 1),
    evaluation(1, 0.8, 2),
    evaluation(2, 0.8, 4),
    evaluation(3, 0.9, 16),
    evaluation(4, null, 8, 'failed'),
    evaluation(5, 0.7, 8),
    evaluation(6, 0.85, 2), // the network of evaluation 1 again (only the name differs)
    evaluation(7, 0.8, 32), // ties with 2 (and 1): the earlier evaluation ranks first
  ];

  it('ranks by fitness, earlier first on ties, each network once at its best, failures never', () => {
    expect(topEvaluations(journal, 3).map((e) => e.index)).toEqual([3, 6, 2]);
  });

  it('returns fewer than K when the search has fewer distinct finished genomes', () => {
    expect(topEvaluations(journal, 10).map((e) => e.index)).toEqual([3, 6, 2, 7, 5, 0]);
  });
});

describe('summarizeTop', () => {
  const score = (arm: string, seed: number, rank: number, test: number): TopScore => ({
    arm,
    seed,
    rank,
    val: 0.8,
    test,
  });
  const scores = [
    score('guided', 1, 1, 0.9),
    score('guided', 1, 2, 0.8),
    score('guided', 2, 1, 0.7),
    score('guided', 2, 2, 0.9),
    score('random', 1, 1, 0.6),
    score('random', 1, 2, 0.8),
    score('random', 2, 1, 0.5), // rank 2 of random seed 2 missing: that search is left out
  ];
  const summary = summarizeTop(scores, ['guided', 'random'], 2);

  it('averages each complete search over its top K, then over seeds (percent)', () => {
    const guided = summary.arms.find((a) => a.arm === 'guided')!;
    expect(guided.topMean.values[0]).toBeCloseTo(85);
    expect(guided.topMean.values[1]).toBeCloseTo(80);
    expect(guided.topMean.mean).toBeCloseTo(82.5);
    expect(guided.topMean.sd).toBeCloseTo(Math.SQRT2 * 2.5);
    expect(guided.best.values.map((v) => Math.round(v))).toEqual([90, 70]);
    const random = summary.arms.find((a) => a.arm === 'random')!;
    expect(random.topMean.seeds).toEqual([1]);
    expect(random.topMean.values[0]).toBeCloseTo(70);
  });

  it('compares arms seed by seed where both searches are complete', () => {
    const difference = summary.differences.find((d) => d.a === 'guided' && d.b === 'random')!;
    expect(difference.topMean.seeds).toEqual([1]);
    expect(difference.topMean.values[0]).toBeCloseTo(15);
  });
});
