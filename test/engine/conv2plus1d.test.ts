/**
 * The (2+1)D op on 4-D views (spatialConv, temporalConv, conv2plus1d) on cpu and wasm: forward
 * and every gradient against naive loops composed from the conv definition.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { conv2plus1d, spatialConv, temporalConv } from '../../src/engine/conv2plus1d.ts';
import { tf, type Tensor, type Tensor4D } from '../../src/engine/tf.ts';
import {
  naiveConv,
  naiveConvFilterGrad,
  naiveConvInputGrad,
  outShape,
  relError,
  seeded,
  type ConvSpec,
  type Padding,
} from './kernels/naive.ts';

const TOLERANCE = 1e-4;

interface Case {
  batch: number;
  frames: number;
  height: number;
  width: number;
  channels: [number, number, number];
  spatialKernel: number;
  stride: number;
  temporalKernel: number;
  dilation: number;
}

const CASES: Case[] = [
  {
    batch: 2,
    frames: 6,
    height: 8,
    width: 8,
    channels: [3, 4, 5],
    spatialKernel: 3,
    stride: 1,
    temporalKernel: 3,
    dilation: 1,
  },
  {
    batch: 1,
    frames: 7,
    height: 9,
    width: 7,
    channels: [2, 4, 3],
    spatialKernel: 3,
    stride: 2,
    temporalKernel: 3,
    dilation: 2,
  },
  {
    batch: 2,
    frames: 5,
    height: 7,
    width: 9,
    channels: [3, 2, 4],
    spatialKernel: 5,
    stride: 2,
    temporalKernel: 5,
    dilation: 1,
  },
  {
    batch: 1,
    frames: 9,
    height: 6,
    width: 5,
    channels: [2, 3, 2],
    spatialKernel: 1,
    stride: 1,
    temporalKernel: 3,
    dilation: 3,
  },
  {
    batch: 2,
    frames: 8,
    height: 11,
    width: 11,
    channels: [3, 3, 2],
    spatialKernel: 7,
    stride: 2,
    temporalKernel: 3,
    dilation: 4,
  },
];

const label = (c: Case) =>
  `x=[${c.batch}*${c.frames},${c.height},${c.width},${c.channels[0]}] ` +
  `fs=[${c.spatialKernel},${c.spatialKernel},${c.channels[0]},${c.channels[1]}] ` +
  `ft=[${c.temporalKernel},1,${c.channels[1]},${c.channels[2]}] s=${c.stride} d=${c.dilation} p=same`;

/** Naive reference: spatial conv on [B*T,H,W,C], temporal conv on the view [B,T,H'W',C]. */
function reference(c: Case) {
  const [cin, cmid, cout] = c.channels;
  const spatial: ConvSpec = {
    xShape: [c.batch * c.frames, c.height, c.width, cin],
    filterShape: [c.spatialKernel, c.spatialKernel, cin, cmid],
    stride: [c.stride, c.stride],
    dilation: [1, 1],
    padding: 'same',
  };
  const [, h2, w2] = outShape(spatial);
  const temporal: ConvSpec = {
    xShape: [c.batch, c.frames, h2 * w2, cmid],
    filterShape: [c.temporalKernel, 1, cmid, cout],
    stride: [1, 1],
    dilation: [c.dilation, 1],
    padding: 'same',
  };
  const x = seeded(spatial.xShape, 1);
  const fs = seeded(spatial.filterShape, 2);
  const ft = seeded(temporal.filterShape, 3);
  const mid = Float32Array.from(naiveConv(spatial, x, fs));
  const y = naiveConv(temporal, mid, ft);
  const upstream = seeded([c.batch * c.frames, h2, w2, cout], 4);
  const dmid = Float32Array.from(naiveConvInputGrad(temporal, upstream, ft));
  return {
    y,
    dx: naiveConvInputGrad(spatial, dmid, fs),
    dfs: naiveConvFilterGrad(spatial, x, dmid),
    dft: naiveConvFilterGrad(temporal, mid, upstream),
    shapes: {
      x: spatial.xShape,
      fs: spatial.filterShape,
      ft: temporal.filterShape,
      y: [c.batch * c.frames, h2, w2, cout],
    },
  };
}

function project(c: Case, shapes: ReturnType<typeof reference>['shapes']) {
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded(shapes.x, 1), shapes.x);
    const fs = tf.tensor4d(seeded(shapes.fs, 2), shapes.fs);
    const ft = tf.tensor4d(seeded(shapes.ft, 3), shapes.ft);
    const upstream = tf.tensor(seeded(shapes.y, 4), shapes.y);
    const op = (a: Tensor, b: Tensor, d: Tensor) =>
      conv2plus1d(a as Tensor4D, c.frames, {
        spatialFilter: b as Tensor4D,
        temporalFilter: d as Tensor4D,
        stride: c.stride,
        dilation: c.dilation,
      });
    const y = op(x, fs, ft);
    const [dx, dfs, dft] = tf.grads((a: Tensor, b: Tensor, d: Tensor) =>
      tf.sum(tf.mul(op(a, b, d), upstream)),
    )([x, fs, ft]);
    return { y: y.dataSync(), dx: dx!.dataSync(), dfs: dfs!.dataSync(), dft: dft!.dataSync() };
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`conv2plus1d on ${backend}`, () => {
    for (const c of CASES) {
      it(label(c), async () => {
        await selectBackend(backend);
        const expected = reference(c);
        const actual = project(c, expected.shapes);
        expect(relError(actual.y, expected.y), 'output').toBeLessThan(TOLERANCE);
        expect(relError(actual.dx, expected.dx), 'dx').toBeLessThan(TOLERANCE);
        expect(relError(actual.dfs, expected.dfs), 'dSpatialFilter').toBeLessThan(TOLERANCE);
        expect(relError(actual.dft, expected.dft), 'dTemporalFilter').toBeLessThan(TOLERANCE);
      });
    }

    for (const padding of ['same', 'valid'] as Padding[]) {
      it(`spatialConv x=[3,9,8,2] f=[3,3,2,3] s=2 p=${padding} forward vs naive`, async () => {
        await selectBackend(backend);
        const s: ConvSpec = {
          xShape: [3, 9, 8, 2],
          filterShape: [3, 3, 2, 3],
          stride: [2, 2],
          dilation: [1, 1],
          padding,
        };
        const y = tf.tidy(() =>
          spatialConv(
            tf.tensor4d(seeded(s.xShape, 1), s.xShape),
            tf.tensor4d(seeded(s.filterShape, 2), s.filterShape),
            2,
            padding,
          ).dataSync(),
        );
        expect(
          relError(y, naiveConv(s, seeded(s.xShape, 1), seeded(s.filterShape, 2))),
        ).toBeLessThan(TOLERANCE);
      });
    }

    it('temporalConv rejects a filter that is not [k,1,Cin,Cout]', async () => {
      await selectBackend(backend);
      const x = tf.zeros([4, 2, 2, 1]) as Tensor4D;
      const f = tf.zeros([3, 3, 1, 1]) as Tensor4D;
      expect(() => temporalConv(x, 2, f, 1)).toThrow(/expected filter \[k,1,Cin,Cout\]/);
      tf.dispose([x, f]);
    });
  });
}
