/**
 * conv2d gradients written as forward conv2d ops, with dilation support.
 *
 * Forward (NHWC, x padded by `top`/`left`):
 *   y[n,i,j,co] = sum_{a,b,ci} xpad[n, i*sh + a*dh, j*sw + b*dw, ci] * f[a,b,ci,co]
 *
 * Filter gradient: a conv2d whose "batch" is the input channels. x (cropped/padded to the
 * receptive span) as [Ci, H, W, N] convolved with dy as the "filter" [Ho, Wo, N, Co], stride
 * (dh,dw), dilation (sh,sw), gives [Ci, kh, kw, Co], transposed back to [kh, kw, Ci, Co].
 * For a (k,1) kernel the width axis is folded into those "channels" instead (see below).
 *
 * Input gradient: a stride-1 conv2d of dy (zero-inserted for stride > 1, padded so the output
 * covers x) with the filter flipped in space and its channels swapped, dilation (dh,dw).
 *
 * XNNPACK runs both as ordinary convolutions (~40 GFLOP/s on one core), where the stock wasm
 * backprop kernels are naive or missing. tfjs conv2d refuses stride > 1 together with
 * dilation > 1, so in both forms at most one of them is > 1, as in the forward conv.
 */
import { tf, type Tensor4D } from '../tf.ts';
import { EngineError } from '../../errors.ts';
import { SUBSAMPLE, subsampleConfig } from '../kernels/Subsample.ts';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Pad = Parameters<typeof tf.conv2d>[3];
export type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** Geometry of a NHWC conv2d, as the kernels compute it. */
export interface Conv2DGeometry {
  strides: [number, number] | number;
  pad: Pad;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs' conv geometry of a NHWC conv2d (or depthwise conv, whose filter is [kh, kw, C, M]). */
export function convInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  geometry: Conv2DGeometry,
  depthwise = false,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    geometry.strides,
    geometry.dilations ?? 1,
    geometry.pad,
    geometry.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

function checkShape(
  op: string,
  name: string,
  actual: readonly number[],
  expected: readonly number[],
): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new EngineError(
      `${op}: expected ${name} [${expected.join(',')}], got [${actual.join(',')}]`,
    );
  }
}

/**
 * Gradient of a NHWC conv2d with respect to its filter.
 * `x` [N, H, W, Ci], `dy` [N, Ho, Wo, Co]; returns [kh, kw, Ci, Co].
 */
export function conv2dFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  geometry: Conv2DGeometry,
): Tensor4D {
  const info = convInfo(x.shape, filterShape, geometry);
  checkShape('conv2dFilterGrad', 'dy', dy.shape, [
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ]);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const [, height, width] = x.shape;
  const { filterHeight: kh, filterWidth: kw } = info;
  // Rows of the padded input that the conv reads: [0, spanH) in padded coordinates.
  const spanH = (kh - 1) * dh + (info.outHeight - 1) * sh + 1;
  const spanW = (kw - 1) * dw + (info.outWidth - 1) * sw + 1;
  // Input rows past the span (a strided 'valid' conv often leaves some) are not cropped from x
  // (a Slice of the whole input, a JavaScript loop on wasm): the conv below then yields a few
  // extra filter rows/columns, and the small result is cropped instead.
  const padBottom = Math.max(0, spanH - top - height);
  const padRight = Math.max(0, spanW - left - width);
  const cropToFilter = (grad: Tensor4D): Tensor4D =>
    grad.shape[1] === kh && grad.shape[2] === kw
      ? grad
      : tf.slice(grad, [0, 0, 0, 0], [-1, kh, kw, -1]);
  return tf.tidy(() => {
    if (kh === 1 && kw === 1 && top === 0 && left === 0) {
      // A 1x1 conv is a matrix product over the pixels it reads, and so is its filter gradient:
      // x^T dy, one matMul (the smaller operand transposed; the conv form below ran a conv whose
      // filter is as large as the image at 0.3-2 GFLOP/s, and with stride s it computed s*s
      // filter taps to keep one). Stride s: x subsampled to the pixels the conv read.
      const read = sh === 1 && sw === 1 ? x : subsample(x, [sh, sw], info.outHeight, info.outWidth);
      const pixels = x.shape[0] * info.outHeight * info.outWidth;
      const xRows = tf.reshape(read, [pixels, x.shape[3]]);
      const dyRows = tf.reshape(dy, [pixels, dy.shape[3]]);
      const grad =
        x.shape[3] <= dy.shape[3]
          ? tf.matMul(xRows, dyRows, true, false)
          : tf.transpose(tf.matMul(dyRows, xRows, true, false));
      return tf.reshape(grad, filterShape);
    }
    if (kw === 1 && sw === 1 && left === 0 && padRight === 0 && spanW === width) {
      // A (k,1) kernel (the temporal conv): W behaves like batch, so it becomes the contiguous
      // reduction axis ("channels" W instead of N): far better for XNNPACK when N is small.
      const xByChannel = tf.transpose(x, [3, 1, 0, 2]); // [Ci, H, N, W]
      const dyAsFilter = tf.transpose(dy, [1, 0, 2, 3]); // [Ho, N, W, Co]
      const pad: Explicit = [
        [0, 0],
        [top, padBottom],
        [0, 0],
        [0, 0],
      ];
      const grad = tf.conv2d(xByChannel, dyAsFilter, [dh, 1], pad, 'NHWC', [sh, 1]); // [Ci, >=kh, 1, Co]
      return tf.transpose(cropToFilter(grad), [1, 2, 0, 3]);
    }
    const xByChannel = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const pad: Explicit = [
      [0, 0],
      [top, padBottom],
      [left, padRight],
      [0, 0],
    ];
    const grad = tf.conv2d(xByChannel, dyAsFilter, [dh, dw], pad, 'NHWC', [sh, sw]); // [Ci, >=kh, >=kw, Co]
    return tf.transpose(cropToFilter(grad), [1, 2, 0, 3]);
  });
}

/** x[:, ::sh, ::sw] (outHeight x outWidth pixels): a JavaScript copy where the data is in this
 * process (wasm's StridedSlice is ~100x slower), tf.stridedSlice elsewhere. */
function subsample(
  x: Tensor4D,
  strides: [number, number],
  outHeight: number,
  outWidth: number,
): Tensor4D {
  const backend = tf.getBackend();
  if (x.dtype === 'float32' && (backend === 'wasm' || backend === 'cpu')) {
    if (!tf.getKernel(SUBSAMPLE, backend))
      tf.registerKernel({ ...subsampleConfig, backendName: backend });
    return tf
      .engine()
      .runKernel(SUBSAMPLE, { x }, { strides, outHeight, outWidth } as never) as Tensor4D;
  }
  const [sh, sw] = strides;
  return tf.stridedSlice(
    x,
    [0, 0, 0, 0],
    [x.shape[0], (outHeight - 1) * sh + 1, (outWidth - 1) * sw + 1, x.shape[3]],
    [1, sh, sw, 1],
  ) as Tensor4D;
}

/** dy [N, Ho, Wo, C] -> [N, Ho*sh, Wo*sw, C] with dy at multiples of the strides, zeros between. */
function insertZeros(dy: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, ho, wo, c] = dy.shape;
  let wide = dy.reshape([n * ho, wo, 1, c]);
  if (sw > 1)
    wide = tf.pad(wide, [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
  let tall = wide.reshape([n, ho, 1, wo * sw * c]);
  if (sh > 1)
    tall = tf.pad(tall, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
  return tall.reshape([n, ho * sh, wo * sw, c]);
}

/** What a transposed ("input gradient") conv needs of the forward conv's geometry. */
export interface TransposedConvGeometry {
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number };
}

/**
 * `dy` [N, Ho, Wo, C] zero-inserted for the stride, cropped where the forward padding was
 * negative, and the explicit padding after which a stride-1 'valid' conv with the flipped filter
 * (dilated like the forward one) yields exactly [N, height, width, ...]. Shared by the conv2d and
 * depthwise input gradients.
 */
export function spreadForTransposedConv(
  dy: Tensor4D,
  info: TransposedConvGeometry,
  height: number,
  width: number,
): { spread: Tensor4D; pad: Explicit } {
  let spread = insertZeros(dy, info.strideHeight, info.strideWidth); // [N, Ho*sh, Wo*sw, C]
  const padTop = (info.filterHeight - 1) * info.dilationHeight - info.padInfo.top;
  const padLeft = (info.filterWidth - 1) * info.dilationWidth - info.padInfo.left;
  const padBottom = height + info.padInfo.top - spread.shape[1];
  const padRight = width + info.padInfo.left - spread.shape[2];
  if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
    const begin = [0, Math.max(0, -padTop), Math.max(0, -padLeft), 0];
    const size = [
      -1,
      spread.shape[1] - begin[1]! - Math.max(0, -padBottom),
      spread.shape[2] - begin[2]! - Math.max(0, -padRight),
      -1,
    ];
    spread = tf.slice(spread, begin, size);
  }
  const pad: Explicit = [
    [0, 0],
    [Math.max(0, padTop), Math.max(0, padBottom)],
    [Math.max(0, padLeft), Math.max(0, padRight)],
    [0, 0],
  ];
  return { spread, pad };
}

/**
 * Gradient of a NHWC conv2d with respect to its input.
 * `dy` [N, Ho, Wo, Co], `filter` [kh, kw, Ci, Co]; returns [N, H, W, Ci] for `xShape`.
 */
export function conv2dInputGrad(
  xShape: [number, number, number, number],
  dy: Tensor4D,
  filter: Tensor4D,
  geometry: Conv2DGeometry,
): Tensor4D {
  const info = convInfo(xShape, filter.shape, geometry);
  checkShape('conv2dInputGrad', 'dy', dy.shape, [
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ]);
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const [, height, width] = xShape;
  return tf.tidy(() => {
    const { spread, pad } = spreadForTransposedConv(dy, info, height, width);
    // A 1x1 filter has nothing to flip (and wasm's Reverse costs ~1 ms even on small filters).
    const spatial =
      filter.shape[0] === 1 && filter.shape[1] === 1 ? filter : tf.reverse(filter, [0, 1]);
    const flipped = tf.transpose(spatial, [0, 1, 3, 2]); // [kh, kw, Co, Ci]
    return tf.conv2d(spread, flipped as Tensor4D, 1, pad, 'NHWC', [dh, dw]);
  });
}
