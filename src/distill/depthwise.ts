/**
 * Depthwise conv with a gradient for every dilation: tfjs-core's DepthwiseConv2dNative gradient
 * refuses dilation > 1, and the student's temporal depthwise conv is dilated. Dilation 1 goes
 * through tf.depthwiseConv2d and its stock gradient (on wasm: the project's backprop kernels);
 * dilation > 1 wraps the same op in a custom gradient built from the backprop forms of
 * src/engine/kernels (ordinary depthwise convs, so it runs on every backend).
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.ts';
import { EngineError } from '../errors.ts';
import { depthwiseFilterGrad } from '../engine/kernels/DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseInputGrad } from '../engine/kernels/DepthwiseConv2dNativeBackpropInput.ts';

export type DepthwisePadding = 'same' | 'valid';

/**
 * x [N, H, W, C], filter [kh, kw, C, M] -> [N, H', W', C*M]. `stride` and `dilation` may not
 * both be > 1 (as in tf.depthwiseConv2d).
 */
export function depthwiseConv(
  x: Tensor4D,
  filter: Tensor4D,
  stride: number | [number, number] = 1,
  padding: DepthwisePadding = 'same',
  dilation: number | [number, number] = 1,
): Tensor4D {
  const dilations: [number, number] =
    typeof dilation === 'number' ? [dilation, dilation] : dilation;
  if (x.rank !== 4 || filter.rank !== 4 || filter.shape[2] !== x.shape[3]) {
    throw new EngineError(
      `depthwiseConv: expected x [N,H,W,C] and filter [kh,kw,C,M] with the same C, got x [${x.shape.join(',')}] filter [${filter.shape.join(',')}]`,
    );
  }
  if (dilations[0] === 1 && dilations[1] === 1)
    return tf.depthwiseConv2d(x, filter, stride, padding);
  const geometry = { strides: stride, pad: padding, dilations };
  // customGrad hands the inputs and a save function in one variadic list.
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [input, weights, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
    save([input, weights]);
    return {
      value: tf.depthwiseConv2d(
        input as Tensor4D,
        weights as Tensor4D,
        stride,
        padding,
        'NHWC',
        dilations,
      ),
      gradFunc: (dy: Tensor4D, saved: Tensor[]) => {
        const [savedX, savedFilter] = saved as [Tensor4D, Tensor4D];
        return [
          depthwiseInputGrad(savedX.shape, dy, savedFilter, geometry),
          depthwiseFilterGrad(savedX, dy, savedFilter.shape, geometry),
        ];
      },
    };
  });
  return op(x, filter) as Tensor4D;
}
