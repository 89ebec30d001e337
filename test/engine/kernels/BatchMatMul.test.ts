/**
 * wasm BatchMatMul override (explicit transposes, folded batches) against naive loops, and a
 * dense layer's gradients against the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { relError, seeded, sizeOf } from './naive.ts';

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** Naive batched matmul with broadcasting of the batch dims (leading dims of equal rank or absent). */
function naiveMatMul(
  c: Case,
  a: Float32Array,
  b: Float32Array,
): { shape: number[]; values: Float64Array } {
  const [ar, br] = [c.a.length, c.b.length];
  const m = c.transposeA ? c.a[ar - 1]! : c.a[ar - 2]!;
  const k = c.transposeA ? c.a[ar - 2]! : c.a[ar - 1]!;
  const n = c.transposeB ? c.b[br - 2]! : c.b[br - 1]!;
  const batchA = sizeOf(c.a.slice(0, -2));
  const batchB = sizeOf(c.b.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const values = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const offA = (batchA === 1 ? 0 : p) * m * k;
    const offB = (batchB === 1 ? 0 : p) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) {
          const av = a[offA + (c.transposeA ? q * m + i : i * k + q)]!;
          const bv = b[offB + (c.transposeB ? j * k + q : q * n + j)]!;
          sum += av * bv;
        }
        values[(p * m + i) * n + j] = sum;
      }
  }
  const batchShape = (c.a.length >= c.b.length ? c.a : c.b).slice(0, -2).map((d, i, dims) => {
    const other = (c.a.length >= c.b.length ? c.b : c.a).slice(0, -2);
    const o = other[i - (dims.length - other.length)];
    return Math.max(d, o ?? 1);
  });
  return { shape: [...batchShape, m, n], values };
}

const CASES: Case[] = [
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { a: [3, 5, 7], b: [7, 4], transposeA: false, transposeB: false },
  { a: [3, 7, 5], b: [4, 7], transposeA: true, transposeB: true },
  { a: [2, 3, 5, 7], b: [7, 4], transposeA: false, transposeB: false },
  { a: [2, 5, 7], b: [2, 7, 3], transposeA: false, transposeB: false },
  { a: [2, 7, 5], b: [2, 3, 7], transposeA: true, transposeB: true },
  { a: [1, 5, 7], b: [3, 7, 2], transposeA: false, transposeB: false },
  { a: [3, 7, 5], b: [1, 7, 2], transposeA: true, transposeB: false },
];

const label = (c: Case) =>
  `a=[${c.a.join(',')}] b=[${c.b.join(',')}] tA=${c.transposeA} tB=${c.transposeB}`;

describe('BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const c of CASES) {
    it(`${label(c)} vs naive`, () => {
      const a = seeded(c.a, 1);
      const b = seeded(c.b, 2);
      const expected = naiveMatMul(c, a, b);
      const actual = tf.tidy(() => {
        const out = tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.transposeA, c.transposeB);
        return { shape: out.shape, values: out.dataSync() as Float32Array };
      });
      expect(actual.shape).toEqual(expected.shape);
      expect(relError(actual.values, expected.values)).toBeLessThan(1e-4);
    });
  }

  it('dense x=[6,9] w=[9,4]: gradients of sum(relu(x w) * u) vs cpu', async () => {
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.tensor2d(seeded([6, 9], 1), [6, 9]);
        const w = tf.tensor2d(seeded([9, 4], 2), [9, 4]);
        const u = tf.tensor2d(seeded([6, 4], 3), [6, 4]);
        const grads = tf.grads((p: Tensor, q: Tensor) =>
          tf.sum(tf.mul(tf.relu(tf.matMul(p, q)), u)),
        )([x, w]);
        return grads.map((g) => g.dataSync() as Float32Array);
      });
    const actual = run();
    await selectBackend('cpu');
    const expected = run();
    await selectBackend('wasm');
    actual.forEach((values, i) => expect(relError(values, expected[i]!)).toBeLessThan(1e-4));
  });
});
