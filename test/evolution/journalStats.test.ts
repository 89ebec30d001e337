import { describe, expect, it } from 'vitest';
import { childStats, connectionWeightStats, type EvaluationRecord } from '../../evolution/index.ts';

function record(
  index: number,
  parent: number | null,
  fitness: number | null,
  connectionWeights: number[][] | null,
  extra: Partial<EvaluationRecord> = {},
): EvaluationRecord {
  return {
    type: 'evaluation',
    index,
    genome: { name: `c${index}`, modulesPerLevel: [1, 1, 1, 1], fusion: 'sigmoid', nodes: [] },
    keys: [],
    parent,
    mutation: [],
    status: fitness === null ? 'failed' : 'ok',
    fitness,
    connectionWeights,
    seconds: 1,
    finishedAt: '2026-11-30T00:00:00.000Z',
    ...extra,
  };
}

describe('connectionWeightStats', () => {
  it('counts weights, their distance from 0.5, the spread per block and what the guided rule drops', () => {
    const records = [
      // blocks: [0.4, 0.6] drops 0.4; [0.45] alone; [0.3, 0.3, 0.7] drops both 0.3
      record(0, null, 0.6, [[], [0.4, 0.6], [0.45], [0.3, 0.3, 0.7]]),
      // all below threshold: the first strongest (0.2) stays, the other 0.2 and 0.1 go
      record(1, null, 0.5, [[0.2, 0.1, 0.2]]),
      // skipped: failed, and a copy taken over from another search
      record(2, null, null, null),
      record(3, null, 0.7, [[0.9, 0.9]], { reusedFrom: '/elsewhere/candidate-3' }),
    ];
    const stats = connectionWeightStats(records, 0.5);
    expect(stats.evaluations).toBe(2);
    const weights = [0.4, 0.6, 0.45, 0.3, 0.3, 0.7, 0.2, 0.1, 0.2];
    expect(stats.edges).toBe(weights.length);
    // nearest rank of the 9 sorted weights 0.1 0.2 0.2 0.3 0.3 0.4 0.45 0.6 0.7
    expect(stats.quantiles).toEqual([0.1, 0.1, 0.2, 0.3, 0.45, 0.7, 0.7]);
    const distance = weights.reduce((s, w) => s + Math.abs(w - 0.5), 0) / weights.length;
    expect(stats.meanDistanceFromStart).toBeCloseTo(distance, 12);
    // spreads of the blocks with >= 2 inputs: 0.2, 0.4, 0.1
    expect(stats.meanSpreadPerBlock).toBeCloseTo((0.2 + 0.4 + 0.1) / 3, 12);
    // 8 inputs in those blocks, 1 + 2 + 2 dropped
    expect(stats.droppedShare).toBeCloseTo(5 / 8, 12);
  });

  it('returns empty numbers without evaluations', () => {
    const stats = connectionWeightStats([], 0.5);
    expect(stats.edges).toBe(0);
    expect(stats.quantiles).toEqual([]);
    expect(stats.meanDistanceFromStart).toBeNaN();
  });
});

describe('childStats', () => {
  it('compares each ok child with its ok parent', () => {
    const records = [
      record(0, null, 0.6, [[]]),
      record(1, null, 0.7, [[]]),
      record(2, 0, 0.65, [[]]), // +0.05
      record(3, 1, 0.6, [[]]), // -0.1
      record(4, 1, 0.8, [[]]), // +0.1
      record(5, 1, null, null), // failed: skipped
      record(6, 5, 0.9, [[]]), // failed parent: skipped
    ];
    const stats = childStats(records);
    expect(stats.children).toBe(3);
    const deltas = [0.05, -0.1, 0.1];
    const m = deltas.reduce((a, b) => a + b, 0) / 3;
    expect(stats.meanDelta).toBeCloseTo(m, 12);
    expect(stats.sdDelta).toBeCloseTo(
      Math.sqrt(deltas.reduce((s, d) => s + (d - m) ** 2, 0) / 2),
      12,
    );
    expect(stats.improvedShare).toBeCloseTo(2 / 3, 12);
  });
});
