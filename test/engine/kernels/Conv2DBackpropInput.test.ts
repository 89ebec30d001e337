/**
 * wasm Conv2DBackpropInput override (XNNPACK-based; the native oneDNN one is in dnnlConv.test.ts) (the stock one is naive) run as a kernel and through
 * tf.conv2dTranspose, against naive loops (NHWC) and the cpu backend's stock kernel (NCHW).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor, type Tensor4D } from '../../../src/engine/tf.ts';
import { conv2DBackpropInputConfig } from '../../../src/engine/kernels/Conv2DBackpropInput.ts';
import { UNDILATED_SPECS } from './convSpecs.ts';
import { useXnnpackKernel } from './xnnpackConvKernel.ts';
import {
  naiveConvInputGrad,
  outShape,
  relError,
  seeded,
  specName,
  type ConvSpec,
} from './naive.ts';

function inputGrad(s: ConvSpec, dataFormat: 'NHWC' | 'NCHW'): Float32Array {
  return tf.tidy(() => {
    const filter = tf.tensor(seeded(s.filterShape, 2), s.filterShape);
    let dy: Tensor = tf.tensor(seeded(outShape(s), 3), outShape(s));
    let inputShape: number[] = s.xShape;
    if (dataFormat === 'NCHW') {
      dy = tf.transpose(dy, [0, 3, 1, 2]);
      inputShape = [s.xShape[0], s.xShape[3], s.xShape[1], s.xShape[2]];
    }
    const attrs = { strides: s.stride, pad: s.padding, dataFormat, inputShape };
    return (
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as Tensor
    ).dataSync() as Float32Array;
  });
}

describe('Conv2DBackpropInput on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    useXnnpackKernel(conv2DBackpropInputConfig);
  });

  it('is the project kernel', () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(
      conv2DBackpropInputConfig.kernelFunc,
    );
  });

  for (const s of UNDILATED_SPECS) {
    it(`${specName(s)} NHWC vs naive`, () => {
      const expected = naiveConvInputGrad(s, seeded(outShape(s), 3), seeded(s.filterShape, 2));
      expect(relError(inputGrad(s, 'NHWC'), expected)).toBeLessThan(1e-4);
    });
  }

  for (const s of UNDILATED_SPECS.slice(0, 3)) {
    it(`${specName(s)} NCHW vs cpu`, async () => {
      const actual = inputGrad(s, 'NCHW');
      await selectBackend('cpu');
      const expected = inputGrad(s, 'NCHW');
      await selectBackend('wasm');
      expect(relError(actual, expected)).toBeLessThan(1e-4);
    });
  }

  it('conv2dTranspose x=[2,5,5,4] f=[3,3,3,4] s=2 p=same -> [2,9,9,3] vs naive', () => {
    const s: ConvSpec = {
      xShape: [2, 9, 9, 3],
      filterShape: [3, 3, 3, 4],
      stride: [2, 2],
      dilation: [1, 1],
      padding: 'same',
    };
    const actual = tf.tidy(() => {
      const dy = tf.tensor4d(seeded(outShape(s), 3), outShape(s));
      const filter = tf.tensor4d(seeded(s.filterShape, 2), s.filterShape);
      return tf
        .conv2dTranspose(dy, filter as Tensor4D, s.xShape, 2, 'same')
        .dataSync() as Float32Array;
    });
    expect(
      relError(actual, naiveConvInputGrad(s, seeded(outShape(s), 3), seeded(s.filterShape, 2))),
    ).toBeLessThan(1e-4);
  });
});
