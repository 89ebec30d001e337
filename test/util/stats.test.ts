import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mean, sampleSd } from '../../src/util/stats.ts';

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
