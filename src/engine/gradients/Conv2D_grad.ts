/**
 * Gradient of the Conv2D kernel, replacing tfjs-core's, which refuses dilation > 1
 * ("dilation rates greater than 1 are not yet supported in gradients"). The temporal conv of
 * the (2+1)D op is a conv2d with dilation (d,1), so training needs this.
 *
 * Why `tf.registerGradient` and not a `tf.customGrad` inside temporalConv: every dilated conv2d
 * in the project (and in user code on `tf.conv2d`) gets a gradient, optimizers and `tf.grads`
 * work unchanged, and the tape saves x/filter as it does for the stock gradient.
 *
 * Dilation 1 goes through the stock backprop ops (native kernels on tfjs-node; the project's
 * kernels on wasm); dilation > 1 too where those are the oneDNN ones (they take `dilations`),
 * else the conv2d forms of ./conv2dBackprop.ts, which run on every backend.
 */
import { tf, type Tensor, type Tensor4D } from '../tf.ts';
import { conv2dFilterGrad, conv2dInputGrad, type Conv2DGeometry } from './conv2dBackprop.ts';
import { nativeConvActive } from '../kernels/index.ts';

type GradConfig = Parameters<typeof tf.registerGradient>[0];

interface Conv2DAttrs extends Conv2DGeometry {
  dataFormat: 'NHWC' | 'NCHW';
}

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: object): Tensor {
  // Attrs are a NamedAttrMap in tfjs; these objects hold only numbers, strings and arrays.
  return tf.engine().runKernel(name, inputs, attrs as never) as Tensor;
}

const isOne = (value: number | number[] | undefined): boolean =>
  value === undefined || (Array.isArray(value) ? value.every((v) => v === 1) : value === 1);

export const conv2DGradConfig: GradConfig = {
  kernelName: 'Conv2D',
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    // Attrs arrive as a NamedAttrMap; these are the Conv2D kernel's attributes.
    const { strides, pad, dataFormat, dilations, dimRoundingMode } =
      attrs as unknown as Conv2DAttrs;
    const dy4 = dy as Tensor4D;
    const dilationAware = nativeConvActive() && tf.getBackend() === 'wasm' && dataFormat !== 'NCHW';
    if (isOne(dilations) || dilationAware) {
      // The same kernels tfjs-core's gradient calls.
      const common = { strides, pad, dataFormat, dimRoundingMode, dilations: dilations ?? 1 };
      return {
        x: () =>
          runKernel('Conv2DBackpropInput', { dy: dy4, filter }, { ...common, inputShape: x.shape }),
        filter: () =>
          runKernel(
            'Conv2DBackpropFilter',
            { x, dy: dy4 },
            { ...common, filterShape: filter.shape },
          ),
      };
    }
    const geometry: Conv2DGeometry = { strides, pad, dilations, dimRoundingMode };
    const toNhwc = (t: Tensor4D): Tensor4D =>
      dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
    const fromNhwc = (t: Tensor4D): Tensor4D =>
      dataFormat === 'NCHW' ? tf.transpose(t, [0, 3, 1, 2]) : t;
    return {
      x: (): Tensor => {
        const xNhwc = toNhwc(x);
        return fromNhwc(conv2dInputGrad(xNhwc.shape, toNhwc(dy4), filter, geometry));
      },
      filter: (): Tensor => conv2dFilterGrad(toNhwc(x), toNhwc(dy4), filter.shape, geometry),
    };
  },
};
