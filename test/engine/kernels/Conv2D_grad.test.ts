/**
 * The project's Conv2D gradient (src/engine/gradients/Conv2D_grad.ts) through tf.grads, on cpu
 * and wasm, against naive loops: forward, dx and dfilter, with dilations 1-3.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor, type Tensor4D } from '../../../src/engine/tf.ts';
import { CONV_SPECS } from './convSpecs.ts';
import {
  naiveConv,
  naiveConvFilterGrad,
  naiveConvInputGrad,
  outShape,
  relError,
  seeded,
  specName,
  type ConvSpec,
} from './naive.ts';

const TOLERANCE = 1e-4;

function gradsOf(s: ConvSpec): { y: Float32Array; dx: Float32Array; df: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded(s.xShape, 1), s.xShape);
    const f = tf.tensor4d(seeded(s.filterShape, 2), s.filterShape);
    const upstream = tf.tensor(seeded(outShape(s), 3), outShape(s));
    const conv = (a: Tensor, b: Tensor) =>
      tf.conv2d(a as Tensor4D, b as Tensor4D, s.stride, s.padding, 'NHWC', s.dilation);
    const [dx, df] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(conv(a, b), upstream)))([
      x,
      f,
    ]);
    return {
      y: conv(x, f).dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      df: df!.dataSync() as Float32Array,
    };
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`Conv2D gradient with dilation on ${backend}`, () => {
    for (const s of CONV_SPECS) {
      it(specName(s), async () => {
        await selectBackend(backend);
        const x = seeded(s.xShape, 1);
        const f = seeded(s.filterShape, 2);
        const dy = seeded(outShape(s), 3);
        const got = gradsOf(s);
        expect(relError(got.y, naiveConv(s, x, f))).toBeLessThan(TOLERANCE);
        expect(relError(got.dx, naiveConvInputGrad(s, dy, f))).toBeLessThan(TOLERANCE);
        expect(relError(got.df, naiveConvFilterGrad(s, x, dy))).toBeLessThan(TOLERANCE);
      });
    }
  });
}
