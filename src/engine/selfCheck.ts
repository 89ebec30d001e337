import { tf, type Tensor, type Tensor4D } from './tf.ts';
import { conv2plus1d } from './conv2plus1d.ts';

export interface SelfCheckResult {
  ok: boolean;
  /** Largest relative error over the output and every gradient. */
  maxRelError: number;
  detail: string;
}

interface CheckTensors {
  output: Float32Array | Float64Array;
  gradients: (Float32Array | Float64Array)[];
}

/** Same random numbers on any backend: a small LCG, not tf.random (backend-dependent). */
function seeded(shape: number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 32 - 0.5;
  }
  return values;
}

const B = 1;
const T = 6;
const H = 8;
const W = 8;
const CIN = 3;
const CMID = 4;
const COUT = 5;

/** Forward and gradients of conv2plus1d (4-D views) on the active backend. */
function runProject(): CheckTensors {
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded([B * T, H, W, CIN], 1), [B * T, H, W, CIN]);
    const fs = tf.tensor4d(seeded([3, 3, CIN, CMID], 2), [3, 3, CIN, CMID]);
    const ft = tf.tensor4d(seeded([3, 1, CMID, COUT], 3), [3, 1, CMID, COUT]);
    const f = (a: Tensor, b: Tensor, c: Tensor) =>
      conv2plus1d(a as Tensor4D, T, {
        spatialFilter: b as Tensor4D,
        temporalFilter: c as Tensor4D,
        stride: 2,
        dilation: 2,
      });
    const output = f(x, fs, ft);
    const upstream = tf.tensor(seeded(output.shape, 4), output.shape);
    const grads = tf.grads((a: Tensor, b: Tensor, c: Tensor) =>
      tf.sum(tf.mul(f(a, b, c), upstream)),
    )([x, fs, ft]);
    return {
      output: output.dataSync() as Float32Array,
      gradients: grads.map((g) => g.dataSync() as Float32Array),
    };
  });
}

/** NHWC conv2d geometry for the naive reference: 'same' padding, one stride, one dilation. */
interface NaiveConv {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: [number, number];
  dilation: [number, number];
}

/**
 * Calls `visit(xIndex, filterIndex, yIndex)` for every multiply of a 'same'-padded NHWC conv2d
 * (TensorFlow's padding: the odd pixel goes at the end). Returns the output shape.
 */
function forEachTap(
  conv: NaiveConv,
  visit: (xi: number, fi: number, yi: number) => void,
): [number, number, number, number] {
  const [n, h, w, ci] = conv.xShape;
  const [kh, kw, , co] = conv.filterShape;
  const [sh, sw] = conv.stride;
  const [dh, dw] = conv.dilation;
  const outH = Math.ceil(h / sh);
  const outW = Math.ceil(w / sw);
  const top = Math.floor(Math.max(0, (outH - 1) * sh + (kh - 1) * dh + 1 - h) / 2);
  const left = Math.floor(Math.max(0, (outW - 1) * sw + (kw - 1) * dw + 1 - w) / 2);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < outH; i++)
      for (let j = 0; j < outW; j++)
        for (let a = 0; a < kh; a++) {
          const r = i * sh + a * dh - top;
          if (r < 0 || r >= h) continue;
          for (let c = 0; c < kw; c++) {
            const q = j * sw + c * dw - left;
            if (q < 0 || q >= w) continue;
            for (let k = 0; k < ci; k++)
              for (let o = 0; o < co; o++)
                visit(
                  ((b * h + r) * w + q) * ci + k,
                  ((a * kw + c) * ci + k) * co + o,
                  ((b * outH + i) * outW + j) * co + o,
                );
          }
        }
  return [n, outH, outW, co];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * The same computation as naive loops in float64, from the definition of the (2+1)D conv
 * (independent of every tfjs kernel): spatial conv on [B*T, H, W, C], temporal conv as a
 * (3,1) kernel with dilation (2,1) on [B, T, H'*W', C].
 */
function runReference(): CheckTensors {
  const x = seeded([B * T, H, W, CIN], 1);
  const fs = seeded([3, 3, CIN, CMID], 2);
  const ft = seeded([3, 1, CMID, COUT], 3);
  const spatial: NaiveConv = {
    xShape: [B * T, H, W, CIN],
    filterShape: [3, 3, CIN, CMID],
    stride: [2, 2],
    dilation: [1, 1],
  };
  const [, h2, w2] = forEachTap(spatial, () => {});
  const temporal: NaiveConv = {
    xShape: [B, T, h2 * w2, CMID],
    filterShape: [3, 1, CMID, COUT],
    stride: [1, 1],
    dilation: [2, 1],
  };
  const mid = new Float64Array(B * T * h2 * w2 * CMID);
  forEachTap(spatial, (xi, fi, yi) => (mid[yi]! += x[xi]! * fs[fi]!));
  const out = new Float64Array(B * T * h2 * w2 * COUT);
  forEachTap(temporal, (xi, fi, yi) => (out[yi]! += mid[xi]! * ft[fi]!));
  const upstream = seeded([B * T, h2, w2, COUT], 4);
  const dft = new Float64Array(sizeOf(temporal.filterShape));
  const dmid = new Float64Array(mid.length);
  forEachTap(temporal, (xi, fi, yi) => {
    dft[fi]! += mid[xi]! * upstream[yi]!;
    dmid[xi]! += ft[fi]! * upstream[yi]!;
  });
  const dfs = new Float64Array(sizeOf(spatial.filterShape));
  const dx = new Float64Array(x.length);
  forEachTap(spatial, (xi, fi, yi) => {
    dfs[fi]! += x[xi]! * dmid[yi]!;
    dx[xi]! += fs[fi]! * dmid[yi]!;
  });
  return { output: out, gradients: [dx, dfs, dft] };
}

function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const gap = Math.abs(actual[i]! - expected[i]!);
    diff = Number.isNaN(gap) ? Infinity : Math.max(diff, gap);
    norm = Math.max(norm, Math.abs(expected[i]!));
  }
  return actual.length === expected.length ? diff / Math.max(norm, 1e-12) : Infinity;
}

/**
 * Forward+backward of the (2+1)D op (spatial 3x3 stride 2, temporal k=3 dilation 2) on the
 * active backend, compared with naive loops. Every gradient of the op is checked.
 */
export async function selfCheck(tolerance = 1e-4): Promise<SelfCheckResult> {
  const project = runProject();
  const reference = runReference();
  const names = ['output', 'dx', 'dSpatialFilter', 'dTemporalFilter'];
  const errors = [project.output, ...project.gradients].map((actual, i) =>
    relError(actual, i === 0 ? reference.output : reference.gradients[i - 1]!),
  );
  const maxRelError = Math.max(...errors);
  const worst = names[errors.indexOf(maxRelError)];
  const ok = maxRelError <= tolerance;
  return {
    ok,
    maxRelError,
    detail: ok
      ? `(2+1)D forward+backward on ${tf.getBackend()} matches naive loops (max rel error ${maxRelError.toExponential(2)})`
      : `(2+1)D ${worst} on ${tf.getBackend()} differs from naive loops: rel error ${maxRelError.toExponential(2)} > ${tolerance}`,
  };
}
