/**
 * Naive-loop references for the engine tests: NHWC conv2d forward and both gradients with
 * strides, dilations and 'same'/'valid' padding, max-pool gradient, matmul. Written from the
 * definitions (float64 accumulation), independent of any tfjs kernel.
 */

export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** tfjs' explicit NHWC padding: [[0,0],[top,bottom],[left,right],[0,0]]. */
export type ExplicitPadding = [[0, 0], [number, number], [number, number], [0, 0]];
export type Padding = 'same' | 'valid' | ExplicitPadding;

export interface ConvSpec {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
}

/** Deterministic values in [-0.5, 0.5): an LCG, the same on every backend. */
export function seeded(shape: readonly number[], seed: number): Float32Array {
  const size = sizeOf(shape);
  const values = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 32 - 0.5;
  }
  return values;
}

interface Geometry {
  outH: number;
  outW: number;
  top: number;
  left: number;
}

/** TensorFlow's output size and leading padding (same: total pad split, the extra at the end). */
export function geometry(spec: ConvSpec): Geometry {
  const [, h, w] = spec.xShape;
  const [kh, kw] = spec.filterShape;
  const effH = (kh - 1) * spec.dilation[0] + 1;
  const effW = (kw - 1) * spec.dilation[1] + 1;
  if (Array.isArray(spec.padding)) {
    const [, [top, bottom], [left, right]] = spec.padding;
    return {
      outH: Math.floor((h + top + bottom - effH) / spec.stride[0]) + 1,
      outW: Math.floor((w + left + right - effW) / spec.stride[1]) + 1,
      top,
      left,
    };
  }
  if (spec.padding === 'valid') {
    return {
      outH: Math.ceil((h - effH + 1) / spec.stride[0]),
      outW: Math.ceil((w - effW + 1) / spec.stride[1]),
      top: 0,
      left: 0,
    };
  }
  const outH = Math.ceil(h / spec.stride[0]);
  const outW = Math.ceil(w / spec.stride[1]);
  const padH = Math.max(0, (outH - 1) * spec.stride[0] + effH - h);
  const padW = Math.max(0, (outW - 1) * spec.stride[1] + effW - w);
  return { outH, outW, top: Math.floor(padH / 2), left: Math.floor(padW / 2) };
}

/** Visits every (output, tap) pair of the conv with flat indices into x, filter and y. */
function forEachTap(spec: ConvSpec, visit: (xi: number, fi: number, yi: number) => void): void {
  const [n, h, w, ci] = spec.xShape;
  const [kh, kw, , co] = spec.filterShape;
  const g = geometry(spec);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < g.outH; i++)
      for (let j = 0; j < g.outW; j++)
        for (let a = 0; a < kh; a++) {
          const r = i * spec.stride[0] + a * spec.dilation[0] - g.top;
          if (r < 0 || r >= h) continue;
          for (let c = 0; c < kw; c++) {
            const s = j * spec.stride[1] + c * spec.dilation[1] - g.left;
            if (s < 0 || s >= w) continue;
            for (let k = 0; k < ci; k++)
              for (let o = 0; o < co; o++)
                visit(
                  ((b * h + r) * w + s) * ci + k,
                  ((a * kw + c) * ci + k) * co + o,
                  ((b * g.outH + i) * g.outW + j) * co + o,
                );
          }
        }
}

export function outShape(spec: ConvSpec): [number, number, number, number] {
  const g = geometry(spec);
  return [spec.xShape[0], g.outH, g.outW, spec.filterShape[3]];
}

export function naiveConv(spec: ConvSpec, x: Float32Array, filter: Float32Array): Float64Array {
  const y = new Float64Array(sizeOf(outShape(spec)));
  forEachTap(spec, (xi, fi, yi) => (y[yi]! += x[xi]! * filter[fi]!));
  return y;
}

export function naiveConvInputGrad(
  spec: ConvSpec,
  dy: Float32Array,
  filter: Float32Array,
): Float64Array {
  const dx = new Float64Array(sizeOf(spec.xShape));
  forEachTap(spec, (xi, fi, yi) => (dx[xi]! += dy[yi]! * filter[fi]!));
  return dx;
}

export function naiveConvFilterGrad(
  spec: ConvSpec,
  x: Float32Array,
  dy: Float32Array,
): Float64Array {
  const df = new Float64Array(sizeOf(spec.filterShape));
  forEachTap(spec, (xi, fi, yi) => (df[fi]! += x[xi]! * dy[yi]!));
  return df;
}

/** Max relative error: max |actual - expected| / max |expected|. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    norm = Math.max(norm, Math.abs(expected[i]!));
  }
  return diff / Math.max(norm, 1e-12);
}

export function specName(spec: ConvSpec): string {
  return (
    `x=[${spec.xShape.join(',')}] f=[${spec.filterShape.join(',')}] ` +
    `s=${spec.stride.join('x')} d=${spec.dilation.join('x')} p=${Array.isArray(spec.padding) ? JSON.stringify(spec.padding) : spec.padding}`
  );
}
