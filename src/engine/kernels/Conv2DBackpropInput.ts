/**
 * Conv2DBackpropInput for wasm: the stock kernel is naive (~4 GFLOP/s); this is one XNNPACK
 * conv2d of dy with the flipped, channel-swapped filter (~40 GFLOP/s). Also serves
 * tf.conv2dTranspose.
 *   dy [N, Ho, Wo, Co], filter [kh, kw, Ci, Co] -> [N, H, W, Ci]
 */
import { tf, type Tensor4D } from '../tf.ts';
import { conv2dInputGrad, type Conv2DGeometry } from '../gradients/conv2dBackprop.ts';
import { input, type KernelConfig } from './tensorInfo.ts';

interface Attrs extends Conv2DGeometry {
  dataFormat: 'NHWC' | 'NCHW';
  inputShape: [number, number, number, number];
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { strides, pad, dimRoundingMode, dataFormat, inputShape } =
      args.attrs as unknown as Attrs;
    return tf.tidy(() => {
      const filter = input(args, 'filter') as Tensor4D;
      let dy = input(args, 'dy') as Tensor4D;
      const geometry = { strides, pad, dimRoundingMode };
      if (dataFormat !== 'NCHW') return conv2dInputGrad(inputShape, dy, filter, geometry);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
      const [n, c, h, w] = inputShape;
      return tf.transpose(conv2dInputGrad([n, h, w, c], dy, filter, geometry), [0, 3, 1, 2]);
    });
  },
};
