/**
 * Conv2DBackpropFilter for wasm, where tfjs-backend-wasm 4.22 has none: the filter gradient as
 * one XNNPACK conv2d whose batch is the input channels (see ../gradients/conv2dBackprop.ts).
 *   x [N, H, W, Ci], dy [N, Ho, Wo, Co] -> [kh, kw, Ci, Co]
 */
import { tf, type Tensor4D } from '../tf.ts';
import { conv2dFilterGrad, type Conv2DGeometry } from '../gradients/conv2dBackprop.ts';
import { input, type KernelConfig } from './tensorInfo.ts';

interface Attrs extends Conv2DGeometry {
  dataFormat: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { strides, pad, dimRoundingMode, dataFormat, filterShape } =
      args.attrs as unknown as Attrs;
    return tf.tidy(() => {
      let x = input(args, 'x') as Tensor4D;
      let dy = input(args, 'dy') as Tensor4D;
      if (dataFormat === 'NCHW') {
        x = tf.transpose(x, [0, 2, 3, 1]);
        dy = tf.transpose(dy, [0, 2, 3, 1]);
      }
      return conv2dFilterGrad(x, dy, filterShape, { strides, pad, dimRoundingMode });
    });
  },
};
