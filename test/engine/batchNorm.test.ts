/**
 * batchNormTraining (src/engine/batchNorm.ts): output, batch statistics and the hand-written
 * gradient against tfjs' own gradients of the same formula written with elementwise ops, on the
 * cpu backend (the reference) and on wasm.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { batchNormTraining } from '../../src/engine/batchNorm.ts';
import { tf, type Tensor, type Tensor4D } from '../../src/engine/tf.ts';
import { relError, seeded } from './kernels/naive.ts';

const SHAPE: [number, number, number, number] = [3, 5, 4, 6];
const EPSILON = 1e-3;

/** The formula with elementwise ops (tfjs differentiates each). */
function reference(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, EPSILON)));
  return tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
}

function run(fused: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.add(tf.mul(tf.tensor4d(seeded(SHAPE, 1), SHAPE), 3), 0.7) as Tensor4D;
    const gamma = tf.tensor1d(seeded([6], 2)).add(1);
    const beta = tf.tensor1d(seeded([6], 3));
    const upstream = tf.tensor4d(seeded(SHAPE, 4), SHAPE);
    const stats: Tensor[] = [];
    const apply = (a: Tensor, g: Tensor, b: Tensor): Tensor => {
      if (!fused) return reference(a, g, b);
      const out = batchNormTraining(a as Tensor4D, g, b, EPSILON);
      stats.push(out.mean, out.variance);
      return out.y;
    };
    const loss = (a: Tensor, g: Tensor, b: Tensor) => tf.sum(tf.mul(apply(a, g, b), upstream));
    const grads = tf.grads(loss)([x, gamma, beta]);
    const y = apply(x, gamma, beta);
    const values = [y, ...grads].map((t) => t.dataSync() as Float32Array);
    if (fused) {
      const moments = tf.moments(x, [0, 1, 2]);
      expect(
        relError(stats[0]!.dataSync() as Float32Array, moments.mean.dataSync() as Float32Array),
      ).toBeLessThan(1e-5);
      expect(
        relError(stats[1]!.dataSync() as Float32Array, moments.variance.dataSync() as Float32Array),
      ).toBeLessThan(1e-5);
    }
    tf.dispose(stats);
    return values;
  });
}

describe('batchNormTraining', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches the elementwise formula and its tfjs gradients on ${backend}`, async () => {
      await selectBackend('cpu');
      const expected = run(false);
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const got = run(true);
      expect(tf.memory().numTensors).toBe(before);
      ['y', 'dx', 'dgamma', 'dbeta'].forEach((name, i) =>
        expect(relError(got[i]!, expected[i]!), name).toBeLessThan(1e-4),
      );
    });
  }

  it('refuses mismatched shapes', () => {
    const x = tf.zeros([2, 2, 2, 3]) as Tensor4D;
    expect(() => batchNormTraining(x, tf.ones([4]), tf.zeros([3]), EPSILON)).toThrow(
      /expected x \[N,H,W,C\], gamma \[C\]/,
    );
  });
});
