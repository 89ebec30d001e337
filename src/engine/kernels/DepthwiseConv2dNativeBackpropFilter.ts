/**
 * DepthwiseConv2dNativeBackpropFilter for wasm, where tfjs-backend-wasm 4.22 has none: the
 * filter gradient as ONE XNNPACK depthwise conv whose channels are (batch, channel) pairs and
 * whose "filter" is dy.
 *
 *   x [N, H, W, C], dy [N, Ho, Wo, C*M] -> [kh, kw, C, M]
 *
 * Forward (x padded by top/left): y[n,i,j,c*M+m] = sum_{a,b} x[n, i*s+a*d, j*s+b*d, c] f[a,b,c,m].
 * So grad[a,b,c,m] = sum_n sum_{i,j} x[n, a*d + i*s, b*d + j*s, c] dy[n,i,j,c*M+m]: a depthwise
 * conv of x viewed as [1, H, W, N*C] with dy viewed as the filter [Ho, Wo, N*C, 1], stride d and
 * dilation s (stride and dilation swap roles), output [1, kh, kw, N*C], then a sum over N.
 * Channel multiplier M > 1: x is repeated M times per channel first, so the same form applies.
 */
import { tf, type Tensor4D } from '../tf.ts';
import { convInfo } from '../gradients/conv2dBackprop.ts';
import { EngineError } from '../../errors.ts';
import { input, type KernelConfig } from './tensorInfo.ts';

/** Geometry of a NHWC depthwise conv, as the kernels receive it. */
export interface DepthwiseGeometry {
  strides: [number, number] | number;
  pad: Parameters<typeof tf.depthwiseConv2d>[3];
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

export function depthwiseInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  geometry: DepthwiseGeometry,
) {
  return convInfo(xShape, filterShape, geometry, true);
}

export function checkDyShape(op: string, dy: Tensor4D, expected: readonly number[]): void {
  if (dy.rank !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new EngineError(
      `${op}: expected dy [${expected.join(',')}], got [${dy.shape.join(',')}]`,
    );
  }
}

/**
 * Gradient of a NHWC depthwise conv with respect to its filter.
 * `x` [N, H, W, C], `dy` [N, Ho, Wo, C*M]; returns [kh, kw, C, M].
 */
export function depthwiseFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: [number, number, number, number],
  geometry: DepthwiseGeometry,
): Tensor4D {
  const info = depthwiseInfo(x.shape, filterShape, geometry);
  checkDyShape('depthwiseFilterGrad', dy, [
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ]);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new EngineError(
      `depthwiseFilterGrad: expected strides or dilations of 1, got strides [${sh},${sw}] dilations [${dh},${dw}]`,
    );
  }
  const [kh, kw, channels, multiplier] = filterShape;
  const [n, height, width] = x.shape;
  const { top, left } = info.padInfo;
  // Rows/columns of the padded input that the conv reads: [0, span) in padded coordinates.
  const spanH = (kh - 1) * dh + (info.outHeight - 1) * sh + 1;
  const spanW = (kw - 1) * dw + (info.outWidth - 1) * sw + 1;
  return tf.tidy(() => {
    const keepH = Math.min(height, spanH - top);
    const keepW = Math.min(width, spanW - left);
    let xUsed: Tensor4D = x;
    if (keepH < height || keepW < width) xUsed = tf.slice(x, [0, 0, 0, 0], [-1, keepH, keepW, -1]);
    if (multiplier > 1) {
      // [N, H, W, C] -> [N, H, W, C*M] with channel c repeated M times (matches dy's c*M+m).
      xUsed = tf.reshape(tf.mul(tf.expandDims(xUsed, 4), tf.ones([multiplier])), [
        n,
        keepH,
        keepW,
        channels * multiplier,
      ]);
    }
    const lanes = n * channels * multiplier;
    const xLanes = tf.reshape(tf.transpose(xUsed, [1, 2, 0, 3]), [1, keepH, keepW, lanes]);
    const dyFilter = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [
      info.outHeight,
      info.outWidth,
      lanes,
      1,
    ]);
    const pad: Explicit = [
      [0, 0],
      [top, spanH - top - keepH],
      [left, spanW - left - keepW],
      [0, 0],
    ];
    // Explicit padding is handled inside the XNNPACK conv (no padded copy).
    const perLane = tf.depthwiseConv2d(
      xLanes as Tensor4D,
      dyFilter as Tensor4D,
      [dh, dw],
      pad,
      'NHWC',
      [sh, sw],
    ); // [1, kh, kw, lanes]
    return tf.reshape(tf.sum(tf.reshape(perLane, [kh, kw, n, channels * multiplier]), 2), [
      kh,
      kw,
      channels,
      multiplier,
    ]);
  });
}

interface Attrs extends DepthwiseGeometry {
  filterShape: [number, number, number, number];
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { strides, pad, dilations, dimRoundingMode, filterShape } =
      args.attrs as unknown as Attrs;
    return tf.tidy(() =>
      depthwiseFilterGrad(
        input(args, 'x') as Tensor4D,
        input(args, 'dy') as Tensor4D,
        filterShape,
        {
          strides,
          pad,
          dilations,
          dimRoundingMode,
        },
      ),
    );
  },
};
