/**
 * EngineSubsample (src/engine/kernels/Subsample.ts, used by the strided 1x1 filter gradient)
 * on cpu and wasm against tf.stridedSlice on the cpu backend, and its refusal of a pixel grid
 * that does not fit in x.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { SUBSAMPLE, subsampleConfig } from '../../../src/engine/kernels/Subsample.ts';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { seeded } from './naive.ts';

const CASES: { shape: [number, number, number, number]; strides: [number, number] }[] = [
  { shape: [2, 7, 6, 5], strides: [2, 2] },
  { shape: [1, 9, 8, 4], strides: [3, 2] },
  { shape: [3, 4, 4, 1], strides: [1, 3] },
];

const grid = (size: number, stride: number) => Math.floor((size - 1) / stride) + 1;

function subsampleOn(backend: 'cpu' | 'wasm', shape: number[], strides: [number, number]) {
  if (!tf.getKernel(SUBSAMPLE, backend))
    tf.registerKernel({ ...subsampleConfig, backendName: backend });
  const x = tf.tensor(seeded(shape, 5), shape);
  const attrs = {
    strides,
    outHeight: grid(shape[1]!, strides[0]),
    outWidth: grid(shape[2]!, strides[1]),
  };
  const y = tf.engine().runKernel(SUBSAMPLE, { x }, attrs as never) as Tensor;
  const values = Array.from(y.dataSync());
  tf.dispose([x, y]);
  return { values, shape: y.shape };
}

describe('EngineSubsample', () => {
  for (const { shape, strides } of CASES) {
    it(`[${shape.join(',')}] strides ${strides.join('x')} on cpu and wasm equals stridedSlice on cpu`, async () => {
      await selectBackend('cpu');
      const reference = tf.tidy(() =>
        tf.stridedSlice(tf.tensor(seeded(shape, 5), shape), [0, 0, 0, 0], shape, [
          1,
          ...strides,
          1,
        ]),
      );
      const expected = Array.from(reference.dataSync());
      for (const backend of ['cpu', 'wasm'] as const) {
        await selectBackend(backend);
        const got = subsampleOn(backend, shape, strides);
        expect(got.shape).toEqual(reference.shape);
        expect(got.values).toEqual(expected);
      }
      reference.dispose();
    });
  }

  it('refuses a grid past the input', async () => {
    await selectBackend('wasm');
    const x = tf.zeros([1, 4, 4, 2]);
    expect(() =>
      tf
        .engine()
        .runKernel(SUBSAMPLE, { x }, { strides: [2, 2], outHeight: 3, outWidth: 2 } as never),
    ).toThrow(/holding 3x2 pixels at strides 2x2, got \[1,4,4,2\]/);
    x.dispose();
  });
});
