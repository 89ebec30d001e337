/**
 * wasm Conv2DBackpropFilter override (XNNPACK-based; the native oneDNN one is in dnnlConv.test.ts) (missing in tfjs-backend-wasm) run as a kernel, against
 * naive loops (NHWC) and the cpu backend's stock kernel (NCHW).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { conv2DBackpropFilterConfig } from '../../../src/engine/kernels/Conv2DBackpropFilter.ts';
import { UNDILATED_SPECS } from './convSpecs.ts';
import { useXnnpackKernel } from './xnnpackConvKernel.ts';
import {
  naiveConvFilterGrad,
  outShape,
  relError,
  seeded,
  specName,
  type ConvSpec,
} from './naive.ts';

function filterGrad(s: ConvSpec, dataFormat: 'NHWC' | 'NCHW'): Float32Array {
  return tf.tidy(() => {
    let x: Tensor = tf.tensor(seeded(s.xShape, 1), s.xShape);
    let dy: Tensor = tf.tensor(seeded(outShape(s), 3), outShape(s));
    if (dataFormat === 'NCHW') {
      x = tf.transpose(x, [0, 3, 1, 2]);
      dy = tf.transpose(dy, [0, 3, 1, 2]);
    }
    const attrs = { strides: s.stride, pad: s.padding, dataFormat, filterShape: s.filterShape };
    return (
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as Tensor
    ).dataSync() as Float32Array;
  });
}

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    useXnnpackKernel(conv2DBackpropFilterConfig);
  });

  it('is the project kernel', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(
      conv2DBackpropFilterConfig.kernelFunc,
    );
  });

  for (const s of UNDILATED_SPECS) {
    it(`${specName(s)} NHWC vs naive`, () => {
      const expected = naiveConvFilterGrad(s, seeded(s.xShape, 1), seeded(outShape(s), 3));
      expect(relError(filterGrad(s, 'NHWC'), expected)).toBeLessThan(1e-4);
    });
  }

  for (const s of UNDILATED_SPECS.slice(0, 3)) {
    it(`${specName(s)} NCHW vs cpu`, async () => {
      const actual = filterGrad(s, 'NCHW');
      await selectBackend('cpu');
      const expected = filterGrad(s, 'NCHW');
      await selectBackend('wasm');
      expect(relError(actual, expected)).toBeLessThan(1e-4);
    });
  }
});
