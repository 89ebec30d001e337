/**
 * DepthwiseConv2dNativeBackpropInput for wasm, where tfjs-backend-wasm 4.22 has none: the input
 * gradient as ONE XNNPACK depthwise conv of dy (zero-inserted for stride > 1, padded) with the
 * filter flipped in space, stride 1, the forward dilation.
 *
 *   dy [N, Ho, Wo, C*M], filter [kh, kw, C, M] -> [N, H, W, C]
 *
 * Channel multiplier M > 1: the conv runs on all C*M channels with the filter viewed as
 * [kh, kw, C*M, 1] and the M outputs of each input channel are summed.
 */
import { tf, type Tensor4D } from '../tf.ts';
import { EngineError } from '../../errors.ts';
import { checkDyShape, depthwiseInfo, type DepthwiseGeometry } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { input, type KernelConfig } from './tensorInfo.ts';

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** dy [N, Ho, Wo, C] -> [N, Ho*sh, Wo*sw, C] with dy at multiples of the strides, zeros between. */
function insertZeros(dy: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, ho, wo, c] = dy.shape;
  let wide = tf.reshape(dy, [n * ho, wo, 1, c]);
  if (sw > 1) wide = tf.pad(wide, [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
  let tall = tf.reshape(wide, [n, ho, 1, wo * sw * c]);
  if (sh > 1) tall = tf.pad(tall, [[0, 0], [0, 0], [0, sh - 1], [0, 0]]);
  return tf.reshape(tall, [n, ho * sh, wo * sw, c]);
}

/**
 * Gradient of a NHWC depthwise conv with respect to its input.
 * `dy` [N, Ho, Wo, C*M], `filter` [kh, kw, C, M]; returns [N, H, W, C] for `xShape`.
 */
export function depthwiseInputGrad(
  xShape: [number, number, number, number],
  dy: Tensor4D,
  filter: Tensor4D,
  geometry: DepthwiseGeometry,
): Tensor4D {
  const info = depthwiseInfo(xShape, filter.shape, geometry);
  checkDyShape('depthwiseInputGrad', dy, [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new EngineError(`depthwiseInputGrad: expected strides or dilations of 1, got strides [${sh},${sw}] dilations [${dh},${dw}]`);
  }
  const [n, height, width, channels] = xShape;
  const [kh, kw, , multiplier] = filter.shape;
  return tf.tidy(() => {
    let spread = insertZeros(dy, sh, sw); // [N, Ho*sh, Wo*sw, C*M]
    // Padded so that a 'valid' conv with the flipped filter yields exactly H x W.
    const padTop = (kh - 1) * dh - info.padInfo.top;
    const padLeft = (kw - 1) * dw - info.padInfo.left;
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
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, channels * multiplier, 1]) as Tensor4D;
    const perLane = tf.depthwiseConv2d(spread, flipped, 1, pad, 'NHWC', [dh, dw]);
    if (multiplier === 1) return perLane;
    return tf.sum(tf.reshape(perLane, [n, height, width, channels, multiplier]), 4) as Tensor4D;
  });
}

interface Attrs extends DepthwiseGeometry {
  inputShape: [number, number, number, number];
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { strides, pad, dilations, dimRoundingMode, inputShape } = args.attrs as unknown as Attrs;
    return tf.tidy(() =>
      depthwiseInputGrad(inputShape, input(args, 'dy') as Tensor4D, input(args, 'filter') as Tensor4D, {
        strides,
        pad,
        dilations,
        dimRoundingMode,
      }),
    );
  },
};
