/**
 * wasm Identity / same-dtype Cast overrides (src/engine/kernels/Identity.ts): the output shares
 * the input's data instead of copying it, values stay right when either side is disposed or a
 * variable is re-assigned, and gradients through saved tensors match the cpu backend.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor, type Tensor4D } from '../../../src/engine/tf.ts';
import { relError, seeded } from './naive.ts';

const numDataIds = (): number =>
  (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();

/** A small conv + batch-norm-like + ReLU step: every op saves tensors for its gradient. */
function gradsOnBackend(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded([2, 6, 6, 3], 1), [2, 6, 6, 3]);
    const f = tf.tensor4d(seeded([3, 3, 3, 4], 2), [3, 3, 3, 4]);
    const gamma = tf.tensor1d(seeded([4], 3));
    const loss = (a: Tensor, b: Tensor, g: Tensor) => {
      const y = tf.conv2d(a as Tensor4D, b as Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const normed = tf.mul(tf.div(tf.sub(y, mean), tf.sqrt(tf.add(variance, 1e-5))), g);
      return tf.sum(tf.square(tf.relu(tf.cast(tf.clone(normed), 'float32'))));
    };
    return tf
      .grads(loss)([x, f, gamma])
      .map((g) => g.dataSync() as Float32Array);
  });
}

describe('wasm Identity and Cast share data', () => {
  it('clone and same-dtype cast add no data on the heap and keep their values', async () => {
    await selectBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const before = numDataIds();
    const copy = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    expect(numDataIds()).toBe(before);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4]);
    copy.dispose();
    expect(Array.from(cast.dataSync())).toEqual([1, 2, 3, 4]);
    cast.dispose();
    expect(numDataIds()).toBe(before - 1);
  });

  it('a clone keeps the old value when its variable is assigned', async () => {
    await selectBackend('wasm');
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(saved.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([v, saved]);
  });

  it('a cast that changes dtype still converts', async () => {
    await selectBackend('wasm');
    const x = tf.tensor1d([1.7, -2.2, 0]);
    expect(Array.from(tf.cast(x, 'int32').dataSync())).toEqual([1, -2, 0]);
    x.dispose();
  });

  it('gradients through saved tensors match the cpu backend', async () => {
    await selectBackend('cpu');
    const reference = gradsOnBackend();
    await selectBackend('wasm');
    const got = gradsOnBackend();
    got.forEach((grad, i) => expect(relError(grad, reference[i]!)).toBeLessThan(1e-4));
  });
});
