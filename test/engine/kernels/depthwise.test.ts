/**
 * wasm DepthwiseConv2dNativeBackpropFilter / BackpropInput overrides (missing in
 * tfjs-backend-wasm 4.22) against the cpu backend: forward, both gradients, strides 1/2,
 * same/valid, kernels 3/5/7, dilation 1/2, channel multiplier 1 (and one case of 2).
 *
 * Reference for dilation > 1: the cpu backprop kernels ignore dilation, so the reference is
 * tf.grads on cpu of an undilated depthwise conv with the filter spread out by zero insertion
 * (mathematically the same conv), built from cpu matMuls only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor, type Tensor4D } from '../../../src/engine/tf.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from '../../../src/engine/kernels/DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from '../../../src/engine/kernels/DepthwiseConv2dNativeBackpropInput.ts';
import { relError, seeded } from './naive.ts';

interface DwSpec {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: number;
  dilation: [number, number];
  padding: 'same' | 'valid';
}

const dw = (
  xShape: DwSpec['xShape'],
  filterShape: DwSpec['filterShape'],
  stride: number,
  dilation: number | [number, number],
  padding: DwSpec['padding'],
): DwSpec => ({
  xShape,
  filterShape,
  stride,
  dilation: typeof dilation === 'number' ? [dilation, dilation] : dilation,
  padding,
});

const SPECS: DwSpec[] = [
  dw([2, 9, 9, 3], [3, 3, 3, 1], 1, 1, 'same'),
  dw([2, 9, 9, 3], [3, 3, 3, 1], 1, 1, 'valid'),
  dw([2, 9, 9, 3], [3, 3, 3, 1], 2, 1, 'same'),
  dw([2, 10, 9, 3], [3, 3, 3, 1], 2, 1, 'valid'),
  dw([1, 11, 10, 4], [5, 5, 4, 1], 1, 1, 'same'),
  dw([1, 11, 10, 4], [5, 5, 4, 1], 2, 1, 'same'),
  dw([1, 12, 11, 4], [5, 5, 4, 1], 2, 1, 'valid'),
  dw([1, 13, 12, 2], [7, 7, 2, 1], 1, 1, 'same'),
  dw([1, 13, 12, 2], [7, 7, 2, 1], 2, 1, 'same'),
  dw([1, 14, 13, 2], [7, 7, 2, 1], 2, 1, 'valid'),
  dw([2, 9, 9, 3], [3, 3, 3, 1], 1, 2, 'same'),
  dw([2, 9, 9, 3], [3, 3, 3, 1], 1, 2, 'valid'),
  dw([1, 13, 12, 2], [5, 5, 2, 1], 1, 2, 'same'),
  dw([1, 16, 15, 2], [7, 7, 2, 1], 1, 2, 'same'),
  dw([1, 16, 15, 2], [7, 7, 2, 1], 1, 2, 'valid'),
  // the student's temporal conv: [B, T, H*W, C], kernel (k,1), dilation (d,1)
  dw([2, 8, 6, 4], [3, 1, 4, 1], 1, [2, 1], 'same'),
  dw([1, 10, 5, 3], [5, 1, 3, 1], 1, [2, 1], 'same'),
  dw([2, 9, 8, 3], [3, 3, 3, 2], 2, 1, 'same'),
];

const name = (s: DwSpec): string =>
  `x=[${s.xShape.join(',')}] f=[${s.filterShape.join(',')}] s=${s.stride} d=${s.dilation.join('x')} p=${s.padding}`;

/** [kh,kw,C,M] -> [(kh-1)dh+1, (kw-1)dw+1, C, M] with the taps at multiples of the dilation. */
function spreadFilter(filter: Tensor4D, [dh, dwid]: [number, number]): Tensor4D {
  const [kh, kw, c, m] = filter.shape;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dwid + 1;
  const place = (rows: number, cols: number, step: number) =>
    tf.tensor2d(
      Array.from({ length: rows * cols }, (_, i) =>
        Math.floor(i / cols) === (i % cols) * step ? 1 : 0,
      ),
      [rows, cols],
    );
  const tall = tf.matMul(place(eh, kh, dh), tf.reshape(filter, [kh, kw * c * m])); // [eh, kw*c*m]
  const byCol = tf.reshape(tf.transpose(tf.reshape(tall, [eh, kw, c * m]), [1, 0, 2]), [
    kw,
    eh * c * m,
  ]);
  const wide = tf.reshape(tf.matMul(place(ew, kw, dwid), byCol), [ew, eh, c, m]);
  return tf.transpose(wide, [1, 0, 2, 3]) as Tensor4D;
}

interface Results {
  y: Float32Array;
  dx: Float32Array;
  dFilter: Float32Array;
}

function inputs(s: DwSpec) {
  const x = tf.tensor(seeded(s.xShape, 1), s.xShape) as Tensor4D;
  const filter = tf.tensor(seeded(s.filterShape, 2), s.filterShape) as Tensor4D;
  return { x, filter };
}

function dyFor(shape: readonly number[]): Tensor4D {
  return tf.tensor4d(seeded(shape, 3), shape as [number, number, number, number]);
}

/** cpu reference: forward with dilation, gradients through the spread filter (no dilation). */
function reference(s: DwSpec): Results {
  return tf.tidy(() => {
    const { x, filter } = inputs(s);
    const y = tf.depthwiseConv2d(x, filter, s.stride, s.padding, 'NHWC', s.dilation);
    const dy = dyFor(y.shape);
    const grads = tf.grads((a: Tensor, f: Tensor) =>
      tf.depthwiseConv2d(
        a as Tensor4D,
        spreadFilter(f as Tensor4D, s.dilation),
        s.stride,
        s.padding,
      ),
    );
    const [dx, dFilter] = grads([x, filter], dy);
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dFilter: dFilter.dataSync() as Float32Array,
    };
  });
}

/** The kernels under test, called by name on the active backend. */
function kernels(s: DwSpec): Results {
  return tf.tidy(() => {
    const { x, filter } = inputs(s);
    const y = tf.depthwiseConv2d(x, filter, s.stride, s.padding, 'NHWC', s.dilation);
    const dy = dyFor(y.shape);
    const attrs = { strides: s.stride, pad: s.padding, dilations: s.dilation };
    const run = (kernel: string, ins: Record<string, Tensor>, extra: object) =>
      (
        tf.engine().runKernel(kernel, ins, { ...attrs, ...extra } as never) as Tensor
      ).dataSync() as Float32Array;
    return {
      y: y.dataSync() as Float32Array,
      dx: run('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { inputShape: s.xShape }),
      dFilter: run(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { filterShape: s.filterShape },
      ),
    };
  });
}

/** tf.grads through the stock DepthwiseConv2dNative gradient (dilation 1 only). */
function viaGrads(s: DwSpec): Results {
  return tf.tidy(() => {
    const { x, filter } = inputs(s);
    const f = (a: Tensor, w: Tensor) =>
      tf.depthwiseConv2d(a as Tensor4D, w as Tensor4D, s.stride, s.padding);
    const y = f(x, filter);
    const [dx, dFilter] = tf.grads(f)([x, filter], dyFor(y.shape));
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dFilter: dFilter.dataSync() as Float32Array,
    };
  });
}

describe('depthwise conv kernels on wasm vs cpu', () => {
  const expected = new Map<DwSpec, Results>();

  beforeAll(async () => {
    await selectBackend('cpu');
    for (const s of SPECS) expected.set(s, reference(s));
    await selectBackend('wasm');
  });

  it('installs the project kernels', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')?.kernelFunc).toBe(
      depthwiseConv2dNativeBackpropFilterConfig.kernelFunc,
    );
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')?.kernelFunc).toBe(
      depthwiseConv2dNativeBackpropInputConfig.kernelFunc,
    );
  });

  it('the spread-filter reference equals the dilated cpu forward (reference self-check)', async () => {
    await selectBackend('cpu');
    const s = SPECS.find((spec) => spec.dilation[0] === 2)!;
    const [dilated, spread] = tf.tidy(() => {
      const { x, filter } = inputs(s);
      return [
        tf.depthwiseConv2d(x, filter, 1, s.padding, 'NHWC', s.dilation).dataSync(),
        tf.depthwiseConv2d(x, spreadFilter(filter, s.dilation), 1, s.padding).dataSync(),
      ];
    });
    await selectBackend('wasm');
    expect(dilated.length).toBeGreaterThan(0);
    expect(relError(spread, dilated)).toBeLessThan(1e-6);
  });

  for (const s of SPECS) {
    it(`${name(s)} forward, input and filter gradients`, () => {
      const actual = kernels(s);
      const want = expected.get(s)!;
      expect(relError(actual.y, want.y)).toBeLessThan(1e-4);
      expect(relError(actual.dx, want.dx)).toBeLessThan(1e-4);
      expect(relError(actual.dFilter, want.dFilter)).toBeLessThan(1e-4);
    });
  }

  for (const s of SPECS.filter((spec) => spec.dilation[0] === 1 && spec.dilation[1] === 1).slice(
    0,
    6,
  )) {
    it(`${name(s)} tf.grads through the stock gradient`, () => {
      const actual = viaGrads(s);
      const want = expected.get(s)!;
      expect(relError(actual.dx, want.dx)).toBeLessThan(1e-4);
      expect(relError(actual.dFilter, want.dFilter)).toBeLessThan(1e-4);
    });
  }
});
