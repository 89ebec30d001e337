import { describe, expect, it } from 'vitest';
import { Rng, createRng } from '../../src/util/random.ts';

/** Reference xoshiro128** in BigInt arithmetic, written straight from the published C code. */
function referenceXoshiro(words: [number, number, number, number], count: number): number[] {
  const mask = 0xffffffffn;
  const s = words.map(BigInt);
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s[1]! * 5n) & mask, 7n) * 9n) & mask));
    const t = (s[1]! << 9n) & mask;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
  }
  return out;
}

describe('Rng (xoshiro128**)', () => {
  it('state [1,2,3,4]: first output is rotl(2*5,7)*9 = 11520 and the stream matches a BigInt reference', () => {
    const rng = Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4] });
    const got = Array.from({ length: 200 }, () => rng.nextUint32());
    expect(got[0]).toBe(11520);
    expect(got).toEqual(referenceXoshiro([1, 2, 3, 4], 200));
  });

  it('same seed -> same stream; different seeds differ; string seeds work', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 10 }, () => a.next());
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 10 }, () => c.next())).not.toEqual(sa);
    expect(createRng('run-1').nextUint32()).toBe(createRng('run-1').nextUint32());
  });

  it('state()/fromState() continue the exact stream through JSON', () => {
    const rng = createRng(7);
    for (let i = 0; i < 13; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = [rng.next(), rng.randInt(100), rng.normal(), rng.permutation(8)];
    const resumed = Rng.fromState(saved);
    expect([
      resumed.next(),
      resumed.randInt(100),
      resumed.normal(),
      resumed.permutation(8),
    ]).toEqual(expected);
  });

  it('rejects bad states', () => {
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0] })).toThrow(
      /non-zero/,
    );
    expect(() => Rng.fromState({ algorithm: 'mt' } as never)).toThrow(/expected/);
  });

  it('randInt is in range and roughly uniform; next() in [0,1)', () => {
    const rng = createRng(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) {
      counts[rng.randInt(3, 9) - 3]++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60000);
    const uniforms = Array.from({ length: 1000 }, () => rng.next());
    expect(uniforms.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(() => rng.randInt(5, 5)).toThrow(/randInt/);
  });

  it('normal() has mean ~0 and std ~1', () => {
    const rng = createRng(3);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.03);
  });

  it('shuffle gives a permutation and every position is reachable', () => {
    const rng = createRng(5);
    const firsts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const p = rng.permutation(5);
      expect([...p].sort()).toEqual([0, 1, 2, 3, 4]);
      firsts.add(p[0]!);
    }
    expect(firsts.size).toBe(5);
  });

  it('fork() gives an independent, reproducible stream', () => {
    const a = createRng(9).fork();
    const b = createRng(9).fork();
    expect(a.nextUint32()).toBe(b.nextUint32());
  });
});
