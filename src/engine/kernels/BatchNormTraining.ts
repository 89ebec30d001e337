/**
 * Training-mode batch norm (optionally followed by ReLU) as two kernels that walk the tensor
 * twice each, for the backends whose data is in this process (wasm heap, cpu arrays):
 *
 *   EngineBatchNormTraining      x [..., C], gamma [C], beta [C] -> y, mean [C], variance [C]
 *   EngineBatchNormTrainingGrad  dy, x, y, gamma, mean, variance -> dx, dGamma [C], dBeta [C]
 *
 * Forward: pass 1 sums x and x^2 per channel (in float64), pass 2 writes
 * y = x * scale + shift (scale = gamma * invStd, shift = beta - mean * scale), clamped at 0 with
 * `relu`. Backward (g = dy, zeroed where y = 0 with `relu`; xc = x - mean; M = elements per
 * channel): pass 1 sums g and g * x per channel; then dBeta = sum(g),
 * dGamma = invStd * sum(g * xc) and pass 2 writes
 * dx = scale * (g - sum(g) / M - xc * invStd^2 * sum(g * xc) / M).
 *
 * The native addon (../native/addon.ts), when built, runs the same loops (bitwise the same
 * results, ~N times faster); these JavaScript ones are the fallback.
 *
 * Why: written with tfjs ops, the same computation (with the ReLU and its gradient) is ~25
 * kernel calls and ~15 full passes over the tensor, and on wasm every reduction over [N, H, W]
 * first transposes the whole tensor (its Sum/Mean reduce the innermost axis).
 */
import { loadNativeAddon } from '../native/addon.ts';
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

export const BATCH_NORM_TRAINING = 'EngineBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'EngineBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  epsilon: number;
  relu: boolean;
}

function channelsOf(kernel: string, x: TensorInfo, gamma: TensorInfo, beta: TensorInfo): number {
  const channels = x.shape[x.shape.length - 1] ?? 0;
  if (
    x.shape.length < 2 ||
    gamma.shape.join() !== `${channels}` ||
    beta.shape.join() !== `${channels}`
  ) {
    throw new Error(
      `${kernel}: expected x [..., C], gamma [C], beta [C], got [${x.shape.join(',')}], [${gamma.shape.join(',')}], [${beta.shape.join(',')}]`,
    );
  }
  return channels;
}

// The loops live in small functions of their own: V8 optimises each once, with type feedback
// from earlier calls (inlined into the kernel function, they were optimised on stack replacement
// and deoptimised after). Each walks 4 channels at a time with scalar accumulators, then the
// last C % 4 channels one at a time (the stems have 11 channels at width 0.25): ~3x faster than
// a loop over all C per pixel, whose accumulators live in memory. Each channel's sums still run
// over the pixels in order, so the results do not depend on the grouping. No data-dependent
// branches: ReLU is (v + |v|) / 2 and its mask is the sign of -bits(y) (y >= 0, so y > 0 exactly
// when its bits are not 0); V8 compiles `v < 0 ? 0 : v` and Math.max to branches, which
// half-negative activations mispredict (measured 5-7x slower).

/** The first channel not in a group of 4. */
const tailStart = (channels: number): number => channels - (channels % 4);

/** sum[c] and squares[c] = sums of x and x^2 over every pixel. */
function sumsPerChannel(x: Float32Array, sum: Float64Array, squares: Float64Array): void {
  const channels = sum.length;
  const tail = tailStart(channels);
  for (let c = 0; c < tail; c += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let q3 = 0;
    for (let i = c; i < x.length; i += channels) {
      const v0 = x[i]!;
      const v1 = x[i + 1]!;
      const v2 = x[i + 2]!;
      const v3 = x[i + 3]!;
      s0 += v0;
      s1 += v1;
      s2 += v2;
      s3 += v3;
      q0 += v0 * v0;
      q1 += v1 * v1;
      q2 += v2 * v2;
      q3 += v3 * v3;
    }
    sum[c] = s0;
    sum[c + 1] = s1;
    sum[c + 2] = s2;
    sum[c + 3] = s3;
    squares[c] = q0;
    squares[c + 1] = q1;
    squares[c + 2] = q2;
    squares[c + 3] = q3;
  }
  for (let c = tail; c < channels; c++) {
    let s = 0;
    let q = 0;
    for (let i = c; i < x.length; i += channels) {
      const v = x[i]!;
      s += v;
      q += v * v;
    }
    sum[c] = s;
    squares[c] = q;
  }
}

/** y = x * scale[c] + shift[c]. */
function affinePerChannel(
  x: Float32Array,
  y: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
): void {
  const channels = scale.length;
  const tail = tailStart(channels);
  for (let c = 0; c < tail; c += 4) {
    const a0 = scale[c]!;
    const a1 = scale[c + 1]!;
    const a2 = scale[c + 2]!;
    const a3 = scale[c + 3]!;
    const b0 = shift[c]!;
    const b1 = shift[c + 1]!;
    const b2 = shift[c + 2]!;
    const b3 = shift[c + 3]!;
    for (let i = c; i < x.length; i += channels) {
      y[i] = x[i]! * a0 + b0;
      y[i + 1] = x[i + 1]! * a1 + b1;
      y[i + 2] = x[i + 2]! * a2 + b2;
      y[i + 3] = x[i + 3]! * a3 + b3;
    }
  }
  for (let c = tail; c < channels; c++) {
    const a = scale[c]!;
    const b = shift[c]!;
    for (let i = c; i < x.length; i += channels) y[i] = x[i]! * a + b;
  }
}

/** y = max(x * scale[c] + shift[c], 0), as (v + |v|) / 2 (exact, branch-free). */
function affineReluPerChannel(
  x: Float32Array,
  y: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
): void {
  const channels = scale.length;
  const tail = tailStart(channels);
  for (let c = 0; c < tail; c += 4) {
    const a0 = scale[c]!;
    const a1 = scale[c + 1]!;
    const a2 = scale[c + 2]!;
    const a3 = scale[c + 3]!;
    const b0 = shift[c]!;
    const b1 = shift[c + 1]!;
    const b2 = shift[c + 2]!;
    const b3 = shift[c + 3]!;
    for (let i = c; i < x.length; i += channels) {
      const v0 = x[i]! * a0 + b0;
      const v1 = x[i + 1]! * a1 + b1;
      const v2 = x[i + 2]! * a2 + b2;
      const v3 = x[i + 3]! * a3 + b3;
      y[i] = 0.5 * (v0 + Math.abs(v0));
      y[i + 1] = 0.5 * (v1 + Math.abs(v1));
      y[i + 2] = 0.5 * (v2 + Math.abs(v2));
      y[i + 3] = 0.5 * (v3 + Math.abs(v3));
    }
  }
  for (let c = tail; c < channels; c++) {
    const a = scale[c]!;
    const b = shift[c]!;
    for (let i = c; i < x.length; i += channels) {
      const v = x[i]! * a + b;
      y[i] = 0.5 * (v + Math.abs(v));
    }
  }
}

/**
 * 1 where the ReLU output's bits are not 0 (y > 0: relu outputs are never negative or -0), else
 * 0; all ones without ReLU (`yBits` null). As tfjs' relu gradient: step(0) = 0.
 */
const keep = (yBits: Int32Array | null, i: number): number =>
  yBits === null ? 1 : -yBits[i]! >>> 31;

/** sumG[c] and sumGX[c] = sums of g and g * x, g = dy * keep. */
function gradSumsPerChannel(
  dy: Float32Array,
  x: Float32Array,
  yBits: Int32Array | null,
  sumG: Float64Array,
  sumGX: Float64Array,
): void {
  const channels = sumG.length;
  const tail = tailStart(channels);
  for (let c = 0; c < tail; c += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let i = c; i < x.length; i += channels) {
      const g0 = dy[i]! * keep(yBits, i);
      const g1 = dy[i + 1]! * keep(yBits, i + 1);
      const g2 = dy[i + 2]! * keep(yBits, i + 2);
      const g3 = dy[i + 3]! * keep(yBits, i + 3);
      s0 += g0;
      s1 += g1;
      s2 += g2;
      s3 += g3;
      t0 += g0 * x[i]!;
      t1 += g1 * x[i + 1]!;
      t2 += g2 * x[i + 2]!;
      t3 += g3 * x[i + 3]!;
    }
    sumG[c] = s0;
    sumG[c + 1] = s1;
    sumG[c + 2] = s2;
    sumG[c + 3] = s3;
    sumGX[c] = t0;
    sumGX[c + 1] = t1;
    sumGX[c + 2] = t2;
    sumGX[c + 3] = t3;
  }
  for (let c = tail; c < channels; c++) {
    let s = 0;
    let t = 0;
    for (let i = c; i < x.length; i += channels) {
      const g = dy[i]! * keep(yBits, i);
      s += g;
      t += g * x[i]!;
    }
    sumG[c] = s;
    sumGX[c] = t;
  }
}

/** dx = a[c] * g - k[c] * x + d[c], g = dy * keep. */
function inputGrad(
  dy: Float32Array,
  x: Float32Array,
  yBits: Int32Array | null,
  dx: Float32Array,
  a: Float64Array,
  k: Float64Array,
  d: Float64Array,
): void {
  const channels = a.length;
  const tail = tailStart(channels);
  for (let c = 0; c < tail; c += 4) {
    const a0 = a[c]!;
    const a1 = a[c + 1]!;
    const a2 = a[c + 2]!;
    const a3 = a[c + 3]!;
    const k0 = k[c]!;
    const k1 = k[c + 1]!;
    const k2 = k[c + 2]!;
    const k3 = k[c + 3]!;
    const d0 = d[c]!;
    const d1 = d[c + 1]!;
    const d2 = d[c + 2]!;
    const d3 = d[c + 3]!;
    for (let i = c; i < x.length; i += channels) {
      dx[i] = a0 * dy[i]! * keep(yBits, i) - k0 * x[i]! + d0;
      dx[i + 1] = a1 * dy[i + 1]! * keep(yBits, i + 1) - k1 * x[i + 1]! + d1;
      dx[i + 2] = a2 * dy[i + 2]! * keep(yBits, i + 2) - k2 * x[i + 2]! + d2;
      dx[i + 3] = a3 * dy[i + 3]! * keep(yBits, i + 3) - k3 * x[i + 3]! + d3;
    }
  }
  for (let c = tail; c < channels; c++) {
    const ac = a[c]!;
    const kc = k[c]!;
    const dc = d[c]!;
    for (let i = c; i < x.length; i += channels)
      dx[i] = ac * dy[i]! * keep(yBits, i) - kc * x[i]! + dc;
  }
}

/** Per-channel scale = gamma * invStd and shift = beta - mean * scale. */
function affineOf(
  gamma: Float32Array,
  beta: Float32Array,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  epsilon: number,
): { scale: Float64Array; shift: Float64Array } {
  const channels = gamma.length;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

export const batchNormTrainingConfig: Omit<KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAINING,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', TensorInfo>;
    const { epsilon, relu } = attrs as unknown as BatchNormTrainingAttrs;
    const channels = channelsOf(BATCH_NORM_TRAINING, x, gamma, beta);
    const { inputs: views, outputs } = hostArrays(
      BATCH_NORM_TRAINING,
      backend,
      [x, gamma, beta],
      [[...x.shape], [channels], [channels]],
    );
    const [xs, gs, bs] = views as [Float32Array, Float32Array, Float32Array];
    const [y, meanOut, varianceOut] = outputs.map((o) => o.values) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const count = xs.length / channels;
    const sum = new Float64Array(channels);
    const squares = new Float64Array(channels);
    const native = loadNativeAddon().addon;
    if (native) native.bn(0, xs, sum, squares);
    else sumsPerChannel(xs, sum, squares);
    const mean = new Float64Array(channels);
    const variance = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      mean[c] = sum[c]! / count;
      variance[c] = Math.max(0, squares[c]! / count - mean[c]! * mean[c]!);
      meanOut[c] = mean[c]!;
      varianceOut[c] = variance[c]!;
    }
    const { scale, shift } = affineOf(gs, bs, mean, variance, epsilon);
    if (native) native.bn(1, xs, y, scale, shift, relu);
    else if (relu) affineReluPerChannel(xs, y, scale, shift);
    else affinePerChannel(xs, y, scale, shift);
    return outputs.map((o) => o.info);
  },
};

export const batchNormTrainingGradConfig: Omit<KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAINING_GRAD,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, x, y, gamma, mean, variance } = inputs as Record<
      'dy' | 'x' | 'y' | 'gamma' | 'mean' | 'variance',
      TensorInfo
    >;
    const { epsilon, relu } = attrs as unknown as BatchNormTrainingAttrs;
    const channels = channelsOf(BATCH_NORM_TRAINING_GRAD, x, gamma, mean);
    if (dy.shape.join() !== x.shape.join() || y.shape.join() !== x.shape.join()) {
      throw new Error(
        `${BATCH_NORM_TRAINING_GRAD}: expected dy and y [${x.shape.join(',')}], got [${dy.shape.join(',')}], [${y.shape.join(',')}]`,
      );
    }
    const { inputs: views, outputs } = hostArrays(
      BATCH_NORM_TRAINING_GRAD,
      backend,
      [dy, x, y, gamma, mean, variance],
      [[...x.shape], [channels], [channels]],
    );
    const [dys, xs, ys, gs, means, variances] = views as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const [dx, dGamma, dBeta] = outputs.map((o) => o.values) as [
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const count = xs.length / channels;
    const yBits = relu ? new Int32Array(ys.buffer, ys.byteOffset, ys.length) : null;
    const sumG = new Float64Array(channels);
    const sumGX = new Float64Array(channels);
    const native = loadNativeAddon().addon;
    if (native) native.bn(2, dys, xs, relu ? ys : null, sumG, sumGX);
    else gradSumsPerChannel(dys, xs, yBits, sumG, sumGX);
    // With xc = x - mean: dx = scale * (g - sumG / M - xc * invStd^2 * sum(g * xc) / M)
    //                        = scale * g - k * x + d.
    const scale = new Float64Array(channels);
    const k = new Float64Array(channels);
    const d = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      const invStd = 1 / Math.sqrt(variances[c]! + epsilon);
      const centred = sumGX[c]! - means[c]! * sumG[c]!; // sum(g * xc)
      scale[c] = gs[c]! * invStd;
      dBeta[c] = sumG[c]!;
      dGamma[c] = invStd * centred;
      k[c] = (scale[c]! * invStd * invStd * centred) / count;
      d[c] = k[c]! * means[c]! - (scale[c]! * sumG[c]!) / count;
    }
    if (native) native.bn(3, dys, xs, relu ? ys : null, dx, scale, k, d);
    else inputGrad(dys, xs, yBits, dx, scale, k, d);
    return outputs.map((o) => o.info);
  },
};

/** The JavaScript loops, for the test that holds the native ones to bitwise the same results. */
export const javascriptLoops = {
  sumsPerChannel,
  affinePerChannel,
  affineReluPerChannel,
  gradSumsPerChannel,
  inputGrad,
};
