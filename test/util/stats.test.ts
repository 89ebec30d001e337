import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mean, pearson, ranks, sampleSd, spearman } from '../../src/util/stats.ts';

const SAMPLES = [[0.125], [0.2, 0.215, 0.19], [2, 4, 4, 4, 5, 5, 7, 9], [-1.5, 3.25, 0, 1e-3]];

describe('mean and sampleSd', () => {
  it("agree with Python's statistics module (mean, stdev) and the single-value convention", () => {
    const script = `import json,statistics as s
xs=json.loads(${JSON.stringify(JSON.stringify(SAMPLES))})
print(json.dumps([[s.mean(x), s.stdev(x) if len(x)>1 else 0] for x in xs]))`;
    const reference = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script]).toString(),
    ) as number[][];
    SAMPLES.forEach((xs, i) => {
      expect(mean(xs)).toBeCloseTo(reference[i]![0]!, 12);
      expect(sampleSd(xs)).toBeCloseTo(reference[i]![1]!, 12);
    });
    expect(Number.isNaN(mean([]))).toBe(true);
  });
});

describe('ranks, pearson and spearman', () => {
  it('match the textbook formula without ties and scipy.stats with ties', () => {
    // no ties: 1 - 6 sum(d^2) / (n (n^2 - 1)) with d = [-2, 1, -1, -1, 3]: 1 - 96 / 120
    expect(spearman([10, 20, 30, 40, 50], [3, 1, 4, 5, 2])).toBeCloseTo(0.2, 12);
    // ties: values from scipy 1.17.1 (rankdata, spearmanr, pearsonr) on these lists
    const x = [0.42, 0.5, 0.5, 0.61, 0.38, 0.47];
    const y = [0.02, -0.01, 0.03, 0.1, 0.0, 0.03];
    expect(ranks(x)).toEqual([2, 4.5, 4.5, 6, 1, 3]);
    expect(ranks(y)).toEqual([3, 1, 4.5, 6, 2, 4.5]);
    expect(spearman(x, y)).toBeCloseTo(0.5147058823529411, 12);
    expect(pearson(x, y)).toBeCloseTo(0.7763089480508558, 12);
  });

  it('is NaN for a constant side or a single pair, and refuses unequal lengths', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/equal lengths/);
  });
});
