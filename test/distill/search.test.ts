/** MnasNet reward on hand values, space sampling/mutation, Pareto front, the search loop. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  archFromDecisions,
  estimateStudentFlops,
  mutateStudent,
  paretoFront,
  parseStudentSpace,
  reward,
  sampleStudent,
  searchStudents,
  chooseStudent,
  spaceDecisions,
  Rng,
} from '../../src/index.ts';

const space = parseStudentSpace(
  JSON.parse(
    readFileSync(join(import.meta.dirname, '../../evolution/students/space.json'), 'utf8'),
  ),
);

describe('student search', () => {
  it('soft reward = acc * (lat/T)^-0.07', () => {
    expect(reward(0.8, 60, { target: 30 })).toBeCloseTo(0.8 * 2 ** -0.07, 12);
    expect(reward(0.8, 15, { target: 30 })).toBeCloseTo(0.8 * 0.5 ** -0.07, 12);
    expect(reward(0.5, 30, { target: 30, w: -0.15 })).toBeCloseTo(0.5, 12);
    expect(reward(0.6, 90, { target: 30, w: -0.15 })).toBeCloseTo(0.6 * 3 ** -0.15, 12);
  });

  it('hard reward: acc at or below the target, acc * T/lat above', () => {
    expect(reward(0.7, 20, { target: 30, hard: true })).toBe(0.7);
    expect(reward(0.7, 30, { target: 30, hard: true })).toBe(0.7);
    expect(reward(0.7, 60, { target: 30, hard: true })).toBeCloseTo(0.35, 12);
  });

  it('the space JSON validates; invalid spaces name the path', () => {
    expect(spaceDecisions(space).length).toBeGreaterThan(10);
    expect(() =>
      parseStudentSpace({
        name: 's',
        frames: [4],
        resolution: 64,
        stem: { filters: 8 },
        stages: [{ repeats: 1, filters: 8, stride: 5, expand: 1, kernels: [[3]] }],
      }),
    ).toThrow(/stages\[0\]\.stride/);
  });

  it('sampling is deterministic per seed and stays in the space', () => {
    const a = sampleStudent(space, Rng.fromSeed(1));
    const b = sampleStudent(space, Rng.fromSeed(1));
    expect(a.arch).toEqual(b.arch);
    expect([4, 8]).toContain(a.arch.frames);
    expect([64, 96, 112]).toContain(a.arch.resolution);
    expect(a.arch.stages).toHaveLength(3);
    expect(archFromDecisions(space, a.decisions)).toEqual(a.arch);
  });

  it('mutation changes exactly one decision', () => {
    const rng = Rng.fromSeed(7);
    const parent = sampleStudent(space, rng);
    for (let i = 0; i < 20; i++) {
      const child = mutateStudent(space, parent, rng);
      const changed = child.decisions.filter((d, j) => d !== parent.decisions[j]).length;
      expect(changed).toBe(1);
    }
  });

  it('Pareto front keeps the non-dominated points, by latency', () => {
    const points = [
      { id: 'a', accuracy: 0.5, latencyMs: 10 },
      { id: 'b', accuracy: 0.6, latencyMs: 20 },
      { id: 'c', accuracy: 0.55, latencyMs: 25 }, // dominated by b
      { id: 'd', accuracy: 0.7, latencyMs: 40 },
      { id: 'e', accuracy: 0.5, latencyMs: 12 }, // dominated by a
    ];
    expect(paretoFront(points).map((p) => p.id)).toEqual(['a', 'b', 'd']);
  });

  it('searchStudents evaluates `budget` distinct students and picks the best reward', async () => {
    // A synthetic evaluation: accuracy grows with FLOPs, latency proportional to FLOPs.
    const evaluate = async (arch: Parameters<typeof estimateStudentFlops>[0]) => {
      const gflops = estimateStudentFlops(arch, 10).flops / 1e9;
      return { accuracy: 1 - Math.exp(-gflops), latencyMs: 5 + 50 * gflops };
    };
    const seen: string[] = [];
    const result = await searchStudents({
      space,
      budget: 12,
      population: 4,
      rng: Rng.fromSeed(3),
      evaluate,
      reward: { target: 20 },
      onRecord: (r) => seen.push(r.hash),
    });
    expect(result.records).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect(result.records.slice(0, 4).every((r) => r.origin === 'sample')).toBe(true);
    expect(result.records.slice(4).every((r) => r.origin === 'mutate')).toBe(true);
    const within = result.records.filter((r) => r.latencyMs <= 20);
    expect(result.best.reward).toBe(
      Math.max(...(within.length ? within : result.records).map((r) => r.reward)),
    );
    expect(result.pareto.length).toBeGreaterThan(0);
    const again = await searchStudents({
      space,
      budget: 12,
      population: 4,
      rng: Rng.fromSeed(3),
      evaluate,
      reward: { target: 20 },
    });
    expect(again.records.map((r) => r.hash)).toEqual(seen);
  });

  it('chooseStudent keeps the target when any student meets it, else takes the best reward', () => {
    const record = (hash: string, accuracy: number, latencyMs: number) =>
      ({
        hash,
        accuracy,
        latencyMs,
        reward: reward(accuracy, latencyMs, { target: 30 }),
        origin: 'sample',
      }) as Parameters<typeof chooseStudent>[0][number];
    // 0.9 at 33 ms has the higher soft reward (0.9 * 1.1^-0.07 = 0.894 > 0.8), but misses 30 ms
    const fastEnough = [record('slow', 0.9, 33), record('ok', 0.8, 30), record('fast', 0.5, 5)];
    expect(fastEnough[0]!.reward).toBeGreaterThan(fastEnough[1]!.reward);
    expect(chooseStudent(fastEnough, 30).hash).toBe('ok');
    expect(chooseStudent([record('a', 0.9, 40), record('b', 0.5, 35)], 30).hash).toBe('a');
  });
});

describe('student search with failures and skips', () => {
  it('a failed student scores 0 and the search goes on; skipped ones use no budget; the choice is among trained ones', async () => {
    const seen: number[] = [];
    const result = await searchStudents({
      space,
      budget: 4,
      rng: Rng.fromSeed(5),
      reward: { target: 30 },
      evaluate: async (_arch, index) => {
        seen.push(index);
        if (index === 0) return { status: 'failed', reason: 'RuntimeError: Aborted()' };
        if (index % 2 === 1) return { status: 'skipped', reason: 'too slow', latencyMs: 500 };
        return { accuracy: 0.1 * index, latencyMs: 20 };
      },
    });
    // draws: 0 failed, 1 skipped, 2 ok, 3 skipped, 4 ok, 5 skipped, 6 ok -> 4 trained
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.records.map((r) => r.status)).toEqual([
      'failed',
      'skipped',
      'ok',
      'skipped',
      'ok',
      'skipped',
      'ok',
    ]);
    expect(result.records[0]!.reason).toBe('RuntimeError: Aborted()');
    expect(result.records[0]!.reward).toBe(0);
    expect(result.best.index).toBe(6);
    expect(result.pareto.every((r) => r.status === 'ok')).toBe(true);
  });

  it('stops after maxDraws and says why when no student trained', async () => {
    await expect(
      searchStudents({
        space,
        budget: 2,
        maxDraws: 3,
        rng: Rng.fromSeed(5),
        reward: { target: 30 },
        evaluate: async () => ({
          status: 'skipped',
          reason: 'measured 90 ms > ceiling',
          latencyMs: 90,
        }),
      }),
    ).rejects.toThrow(
      /expected at least one student to train, got none of 3:[\s\S]*skipped: measured 90 ms/,
    );
  });
});
