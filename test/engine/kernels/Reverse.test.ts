/**
 * wasm Reverse override (src/engine/kernels/Reverse.ts) against the cpu backend: block copies
 * (axes before the last), element copies (the last axis), several and negative axes, and the
 * dtypes it hands to the stock kernel.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf } from '../../../src/engine/tf.ts';
import { seeded } from './naive.ts';

const CASES: { shape: number[]; axes: number[] }[] = [
  { shape: [3, 3, 4, 5], axes: [0, 1] },
  { shape: [7, 1, 3, 8], axes: [0, 1] },
  { shape: [2, 3, 4], axes: [2] },
  { shape: [5], axes: [0] },
  { shape: [2, 3, 4, 5], axes: [1, 3] },
  { shape: [2, 3, 4, 5], axes: [-1, 0] },
  { shape: [4, 6], axes: [] },
];

async function reverseOn(backend: 'cpu' | 'wasm', shape: number[], axes: number[]) {
  await selectBackend(backend);
  return tf.tidy(() => tf.reverse(tf.tensor(seeded(shape, 3), shape), axes).dataSync());
}

describe('Reverse on wasm', () => {
  for (const { shape, axes } of CASES) {
    it(`[${shape.join(',')}] axes [${axes.join(',')}] equals cpu`, async () => {
      const expected = await reverseOn('cpu', shape, axes);
      const got = await reverseOn('wasm', shape, axes);
      expect(Array.from(got)).toEqual(Array.from(expected));
    });
  }

  it('is the project kernel, and int32 goes through the stock one', async () => {
    await selectBackend('wasm');
    expect(tf.getKernel('Reverse', 'wasm')?.kernelFunc.toString()).toContain('reverseInto');
    const ints = tf.reverse(tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [1]);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([3, 2, 1, 6, 5, 4]);
  });
});
