import { tf, type Tensor, type Tensor4D } from './tf.ts';
import { conv2plus1d } from './conv2plus1d.ts';

export interface SelfCheckResult {
  ok: boolean;
  /** Largest relative error over the output and every gradient. */
  maxRelError: number;
  detail: string;
}

interface CheckTensors {
  output: Float32Array;
  gradients: Float32Array[];
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
      conv2plus1d(a as Tensor4D, T, { spatialFilter: b as Tensor4D, temporalFilter: c as Tensor4D, stride: 2, dilation: 2 });
    const output = f(x, fs, ft);
    const upstream = tf.tensor(seeded(output.shape, 4), output.shape);
    const grads = tf.grads((a: Tensor, b: Tensor, c: Tensor) => tf.sum(tf.mul(f(a, b, c), upstream)))([x, fs, ft]);
    return { output: output.dataSync() as Float32Array, gradients: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/** The same computation with tf.conv3d on the rank-5 layout (reference, run on `cpu`). */
function runReference(): CheckTensors {
  return tf.tidy(() => {
    const x = tf.tensor5d(seeded([B * T, H, W, CIN], 1), [B, T, H, W, CIN]);
    const fs = tf.tensor5d(seeded([3, 3, CIN, CMID], 2), [1, 3, 3, CIN, CMID]);
    const ft = tf.tensor5d(seeded([3, 1, CMID, COUT], 3), [3, 1, 1, CMID, COUT]);
    const f = (a: Tensor, b: Tensor, c: Tensor) => {
      const s = tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, [1, 2, 2], 'same');
      return tf.conv3d(s, c as tf.Tensor5D, 1, 'same', 'NDHWC', [2, 1, 1]);
    };
    const output = f(x, fs, ft);
    const upstream = tf.tensor(seeded(output.shape, 4), output.shape);
    const grads = tf.grads((a: Tensor, b: Tensor, c: Tensor) => tf.sum(tf.mul(f(a, b, c), upstream)))([x, fs, ft]);
    return { output: output.dataSync() as Float32Array, gradients: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function relError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    norm = Math.max(norm, Math.abs(expected[i]!));
  }
  return actual.length === expected.length ? diff / Math.max(norm, 1e-12) : Infinity;
}

/**
 * Forward+backward of the (2+1)D op on the active backend, compared with tf.conv3d on `cpu`.
 * Restores the active backend before returning.
 */
export async function selfCheck(tolerance = 1e-4): Promise<SelfCheckResult> {
  const active = tf.getBackend();
  const project = runProject();
  await tf.setBackend('cpu');
  let reference: CheckTensors;
  try {
    reference = runReference();
  } finally {
    await tf.setBackend(active);
  }
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
      ? `(2+1)D forward+backward matches cpu conv3d (max rel error ${maxRelError.toExponential(2)})`
      : `(2+1)D ${worst} differs from cpu conv3d: rel error ${maxRelError.toExponential(2)} > ${tolerance}`,
  };
}
