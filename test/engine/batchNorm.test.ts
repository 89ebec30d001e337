/**
 * batchNormTraining (src/engine/batchNorm.ts): output, batch statistics and the hand-written
 * gradient (with and without the fused ReLU) against tfjs' own gradients of the same formula
 * written with elementwise ops on the cpu backend (the reference), for the kernel form on cpu
 * and wasm and for the tfjs-op form other backends use.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { batchNormTraining } from '../../src/engine/batchNorm.ts';
import { BATCH_NORM_TRAINING } from '../../src/engine/kernels/BatchNormTraining.ts';
import { tf, type Tensor, type Tensor4D } from '../../src/engine/tf.ts';
import { relError, seeded } from './kernels/naive.ts';

const EPSILON = 1e-3;

interface Case {
  shape: [number, number, number, number];
  relu: boolean;
  /** Added to x: a mean far from 0 checks the variance for cancellation. */
  offset: number;
}

const CASES: Case[] = [
  { shape: [3, 5, 4, 6], relu: false, offset: 0.7 },
  { shape: [3, 5, 4, 6], relu: true, offset: 0.7 },
  { shape: [2, 3, 3, 1], relu: true, offset: -0.4 },
  { shape: [4, 2, 3, 5], relu: false, offset: 50 },
  // The kernels walk channels 4 at a time, then the last C % 4 one at a time: 6 = 4 + 2,
  // 5 = 4 + 1, 1 = the tail alone, 8 and 12 = groups only.
  { shape: [2, 3, 4, 8], relu: true, offset: 0.3 },
  { shape: [3, 2, 2, 12], relu: false, offset: 20 },
  // 11 channels (the stems at width 0.25): two groups of 4, then 3 channels one at a time.
  { shape: [2, 3, 2, 11], relu: true, offset: -0.2 },
  { shape: [2, 2, 3, 11], relu: false, offset: 5 },
];

/** The formula with elementwise ops (tfjs differentiates each). */
function reference(x: Tensor, gamma: Tensor, beta: Tensor, relu: boolean): Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, EPSILON)));
  const y = tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(mean, scale)));
  return relu ? tf.relu(y) : y;
}

type Form = 'reference' | 'kernels' | 'ops';

function run(c: Case, form: Form): Float32Array[] {
  const { shape, relu } = c;
  const channels = shape[3];
  return tf.tidy(() => {
    const x = tf.add(tf.mul(tf.tensor4d(seeded(shape, 1), shape), 3), c.offset) as Tensor4D;
    const gamma = tf.tensor1d(seeded([channels], 2)).add(1);
    const beta = tf.tensor1d(seeded([channels], 3));
    const upstream = tf.tensor4d(seeded(shape, 4), shape);
    const stats: Tensor[] = [];
    const apply = (a: Tensor, g: Tensor, b: Tensor): Tensor => {
      if (form === 'reference') return reference(a, g, b, relu);
      const out = batchNormTraining(a as Tensor4D, g, b, EPSILON, {
        relu,
        kernels: form === 'kernels',
      });
      stats.push(out.mean, out.variance);
      return out.y;
    };
    const loss = (a: Tensor, g: Tensor, b: Tensor) => tf.sum(tf.mul(apply(a, g, b), upstream));
    const grads = tf.grads(loss)([x, gamma, beta]);
    const y = apply(x, gamma, beta);
    const values = [y, ...grads].map((t) => t.dataSync() as Float32Array);
    if (form !== 'reference') {
      const moments = tf.moments(x, [0, 1, 2]);
      expect(
        relError(stats[0]!.dataSync() as Float32Array, moments.mean.dataSync() as Float32Array),
      ).toBeLessThan(1e-5);
      expect(
        relError(stats[1]!.dataSync() as Float32Array, moments.variance.dataSync() as Float32Array),
      ).toBeLessThan(1e-4);
    }
    tf.dispose(stats);
    return values;
  });
}

const label = (c: Case) => `x=[${c.shape.join(',')}]${c.relu ? ' relu' : ''} offset ${c.offset}`;

describe('batchNormTraining', () => {
  const runs: [string, Form][] = [
    ['cpu', 'kernels'],
    ['wasm', 'kernels'],
    ['cpu', 'ops'],
    ['wasm', 'ops'],
  ];
  for (const [backend, form] of runs) {
    it(`${form} on ${backend} match the elementwise formula and its tfjs gradients on cpu`, async () => {
      for (const c of CASES) {
        await selectBackend('cpu');
        const expected = run(c, 'reference');
        await selectBackend(backend as 'cpu' | 'wasm');
        const before = tf.memory().numTensors;
        const got = run(c, form);
        expect(tf.memory().numTensors, label(c)).toBe(before);
        ['y', 'dx', 'dgamma', 'dbeta'].forEach((name, i) =>
          expect(relError(got[i]!, expected[i]!), `${label(c)} ${name}`).toBeLessThan(1e-4),
        );
      }
    });
  }

  it('runs as one kernel on wasm', async () => {
    await selectBackend('wasm');
    const x = tf.ones([2, 2, 2, 3]) as Tensor4D;
    const profile = await tf.profile(() => {
      const out = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), EPSILON, { relu: true });
      return [out.y, out.mean, out.variance];
    });
    expect(profile.kernelNames).toContain(BATCH_NORM_TRAINING);
    expect(profile.kernelNames).not.toContain('Mean');
  });

  it('refuses mismatched shapes', () => {
    const x = tf.zeros([2, 2, 2, 3]) as Tensor4D;
    expect(() => batchNormTraining(x, tf.ones([4]), tf.zeros([3]), EPSILON)).toThrow(
      /expected x \[N,H,W,C\], gamma \[C\]/,
    );
  });
});
