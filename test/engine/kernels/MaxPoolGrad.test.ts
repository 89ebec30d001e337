/**
 * wasm MaxPoolGrad override against the cpu backend, on inputs where the stock wasm kernel is
 * wrong (windows that are entirely negative) and with ties (zeros after a relu: the first
 * maximum takes the gradient).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor, type Tensor4D } from '../../../src/engine/tf.ts';
import { maxPoolGradConfig } from '../../../src/engine/kernels/MaxPoolGrad.ts';
import { relError, seeded } from './naive.ts';

interface PoolCase {
  x: [number, number, number, number];
  size: number;
  stride: number;
  padding: 'same' | 'valid';
  /** Subtracted from the inputs: 1 makes every window negative. */
  shift: number;
  relu: boolean;
}

const CASES: PoolCase[] = [
  { x: [2, 9, 9, 3], size: 3, stride: 2, padding: 'same', shift: 1, relu: false },
  { x: [2, 9, 9, 3], size: 3, stride: 2, padding: 'valid', shift: 1, relu: false },
  { x: [1, 8, 7, 4], size: 2, stride: 2, padding: 'same', shift: 0, relu: false },
  { x: [1, 7, 7, 2], size: 3, stride: 1, padding: 'same', shift: 0.2, relu: true },
  { x: [2, 11, 10, 5], size: 5, stride: 2, padding: 'same', shift: 0.3, relu: true },
  { x: [1, 6, 6, 1], size: 3, stride: 3, padding: 'valid', shift: 0, relu: false },
];

const label = (c: PoolCase) =>
  `x=[${c.x.join(',')}] k=${c.size} s=${c.stride} p=${c.padding} minus=${c.shift}${c.relu ? ' relu' : ''}`;

function poolGrad(c: PoolCase): Float32Array {
  return tf.tidy(() => {
    let x: Tensor4D = tf.sub(tf.tensor4d(seeded(c.x, 1), c.x), c.shift);
    if (c.relu) x = tf.relu(x);
    const pool = (t: Tensor) => tf.maxPool(t as Tensor4D, c.size, c.stride, c.padding);
    const upstream = tf.tensor(seeded(pool(x).shape, 2), pool(x).shape);
    return tf
      .grad((t: Tensor) => tf.sum(tf.mul(pool(t), upstream)))(x)
      .dataSync() as Float32Array;
  });
}

describe('MaxPoolGrad on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('is the project kernel', () => {
    expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(maxPoolGradConfig.kernelFunc);
  });

  it('x=[1,2,2,1] all negative k=2 s=2: the gradient goes to the max (hand-computed)', () => {
    const dx = tf.tidy(() =>
      tf
        .grad((t: Tensor) => tf.sum(tf.mul(tf.maxPool(t as Tensor4D, 2, 2, 'valid'), 3)))(
          tf.tensor4d([-4, -1, -2, -3], [1, 2, 2, 1]),
        )
        .dataSync(),
    );
    expect(Array.from(dx)).toEqual([0, 3, 0, 0]);
  });

  for (const c of CASES) {
    it(`${label(c)} vs cpu`, async () => {
      const actual = poolGrad(c);
      await selectBackend('cpu');
      const expected = poolGrad(c);
      await selectBackend('wasm');
      expect(relError(actual, expected)).toBeLessThan(1e-6);
    });
  }
});
