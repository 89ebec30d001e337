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
import {
  checkDyShape,
  depthwiseInfo,
  type DepthwiseGeometry,
} from './DepthwiseConv2dNativeBackpropFilter.ts';
import { input, type KernelConfig } from './tensorInfo.ts';
import { spreadForTransposedConv } from '../gradients/conv2dBackprop.ts';

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
  checkDyShape('depthwiseInputGrad', dy, [
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ]);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new EngineError(
      `depthwiseInputGrad: expected strides or dilations of 1, got strides [${sh},${sw}] dilations [${dh},${dw}]`,
    );
  }
  const [n, height, width, channels] = xShape;
  const [kh, kw, , multiplier] = filter.shape;
  return tf.tidy(() => {
    const { spread, pad } = spreadForTransposedConv(dy, info, height, width);
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [
      kh,
      kw,
      channels * multiplier,
      1,
    ]) as Tensor4D;
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
      depthwiseInputGrad(
        inputShape,
        input(args, 'dy') as Tensor4D,
        input(args, 'filter') as Tensor4D,
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
