/**
 * Training-mode batch norm on a 4-D tensor with one hand-written gradient, instead of the
 * gradients of its elementwise ops (moments, broadcast multiply/add), which tfjs differentiates
 * one op at a time: more full-size passes and ~3x the kernel calls.
 *
 *   x [N, H, W, C], gamma [C], beta [C]:
 *   mean, variance over [N, H, W] (biased), invStd = 1 / sqrt(variance + epsilon)
 *   y = x * (gamma * invStd) + (beta - mean * gamma * invStd)
 * Gradient (xHat = (x - mean) * invStd, M = N*H*W):
 *   dBeta = sum(dy), dGamma = sum(dy * xHat)
 *   dx = gamma * invStd * (dy - dBeta / M - xHat * dGamma / M)
 *
 * The batch statistics come back too (for running averages); they are computed inside the op,
 * off the gradient tape, and belong to the caller, who must dispose them.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from './tf.ts';
import { EngineError } from '../errors.ts';

export interface BatchNormTraining {
  y: Tensor4D;
  /** Batch mean [C]; the caller disposes it. */
  mean: Tensor1D;
  /** Biased batch variance [C]; the caller disposes it. */
  variance: Tensor1D;
}

export function batchNormTraining(
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): BatchNormTraining {
  const channels = x.shape[3];
  if (x.rank !== 4 || gamma.shape.join() !== `${channels}` || beta.shape.join() !== `${channels}`) {
    throw new EngineError(
      `batchNormTraining: expected x [N,H,W,C], gamma [C], beta [C], got [${x.shape.join(',')}], [${gamma.shape.join(',')}], [${beta.shape.join(',')}]`,
    );
  }
  let stats: { mean: Tensor1D; variance: Tensor1D } | undefined;
  const op = tf.customGrad((...args) => {
    const [input, g, b, save] = args as unknown as [
      Tensor4D,
      Tensor1D,
      Tensor1D,
      (tensors: Tensor[]) => void,
    ];
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const scale = tf.mul(g, invStd);
    const y = tf.add(tf.mul(input, scale), tf.sub(b, tf.mul(mean, scale))) as Tensor4D;
    stats = { mean: tf.keep(mean as Tensor1D), variance: tf.keep(variance as Tensor1D) };
    save([input, mean, invStd, g]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, mu, inv, gs] = saved as [Tensor4D, Tensor1D, Tensor1D, Tensor1D];
        const count = xs.size / channels;
        const xHat = tf.mul(tf.sub(xs, mu), inv);
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xHat), [0, 1, 2]);
        const centred = tf.sub(
          tf.sub(dy, tf.div(dBeta, count)),
          tf.mul(xHat, tf.div(dGamma, count)),
        );
        const dx = tf.mul(centred, tf.mul(gs, inv));
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = op(x, gamma, beta) as Tensor4D;
  if (!stats) throw new EngineError('batchNormTraining: the forward pass did not run');
  return { y, ...stats };
}
