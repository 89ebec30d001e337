import { tf, type Tensor4D } from './tf.ts';
import { EngineError } from '../errors.ts';
import { installEngineGradients } from './gradients/index.ts';

/**
 * (2+1)D convolution on 4-D views, as the official AssembleNet code does: time is folded into
 * the batch so every conv is a conv2d (fast on every backend; conv3d is slow or wrong on wasm).
 *
 *   x [batch*frames, H, W, Cin]
 *     -> spatial 1xkxk conv, stride s          on [batch*frames, H, W, C]
 *     -> temporal kx1x1 conv, dilation d       on [batch, frames, H'*W', C]
 *   -> [batch*frames, H', W', Cout]
 */

/** 'same', 'valid', or explicit NHWC padding [[0,0],[top,bottom],[left,right],[0,0]]. */
export type SpatialPadding =
  | 'same'
  | 'valid'
  | [[0, 0], [number, number], [number, number], [0, 0]];

/**
 * Spatial 1xkxk conv: `x` [batch*frames, H, W, Cin], `filter` [k, k, Cin, Cout].
 * Returns [batch*frames, H', W', Cout].
 */
export function spatialConv(
  x: Tensor4D,
  filter: Tensor4D,
  stride = 1,
  padding: SpatialPadding = 'same',
): Tensor4D {
  checkRank('spatialConv', 'filter', filter, 4);
  return tf.conv2d(x, filter, [stride, stride], padding);
}

/**
 * Temporal kx1x1 conv with dilation, 'same' padding over time: `x` [batch*frames, H, W, Cin],
 * `filter` [k, 1, Cin, Cout]. Returns [batch*frames, H, W, Cout].
 */
export function temporalConv(
  x: Tensor4D,
  frames: number,
  filter: Tensor4D,
  dilation = 1,
): Tensor4D {
  checkRank('temporalConv', 'filter', filter, 4);
  if (filter.shape[1] !== 1) {
    throw new EngineError(
      `temporalConv: expected filter [k,1,Cin,Cout], got [${filter.shape.join(',')}]`,
    );
  }
  const [batchFrames, height, width, channels] = x.shape;
  if (batchFrames % frames !== 0) {
    throw new EngineError(
      `temporalConv: expected batch*frames divisible by frames=${frames}, got ${batchFrames}`,
    );
  }
  // The dilated conv2d needs the project's Conv2D gradient (tfjs-core's refuses dilation).
  installEngineGradients();
  return tf.tidy(() => {
    const timeView = tf.reshape(x, [
      batchFrames / frames,
      frames,
      height * width,
      channels,
    ]) as Tensor4D;
    const y = tf.conv2d(timeView, filter, 1, 'same', 'NHWC', [dilation, 1]);
    return tf.reshape(y, [batchFrames, height, width, filter.shape[3]]) as Tensor4D;
  });
}

export interface Conv2Plus1DOptions {
  /** [k, k, Cin, Cmid] */
  spatialFilter: Tensor4D;
  /** [kt, 1, Cmid, Cout] */
  temporalFilter: Tensor4D;
  stride?: number;
  dilation?: number;
}

/** Spatial then temporal conv, see the module comment. `x` [batch*frames, H, W, Cin]. */
export function conv2plus1d(x: Tensor4D, frames: number, options: Conv2Plus1DOptions): Tensor4D {
  checkRank('conv2plus1d', 'x', x, 4);
  return tf.tidy(() => {
    const spatial = spatialConv(x, options.spatialFilter, options.stride ?? 1, 'same');
    return temporalConv(spatial, frames, options.temporalFilter, options.dilation ?? 1);
  });
}

function checkRank(op: string, name: string, tensor: { rank: number }, rank: number): void {
  if (tensor.rank !== rank) {
    throw new EngineError(`${op}: ${name} must be rank ${rank}, but got rank ${tensor.rank}`);
  }
}
