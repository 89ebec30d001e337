/**
 * Training-mode batch norm on a 4-D tensor (optionally followed by ReLU) with one hand-written
 * gradient, instead of the gradients of its elementwise ops (moments, broadcast multiply/add),
 * which tfjs differentiates one op at a time: more full-size passes and ~3x the kernel calls.
 *
 *   x [N, H, W, C], gamma [C], beta [C]:
 *   mean, variance over [N, H, W] (biased), invStd = 1 / sqrt(variance + epsilon)
 *   y = x * (gamma * invStd) + (beta - mean * gamma * invStd)      (then max(y, 0) with relu)
 * Gradient (g = dy, zero where relu clamped; xHat = (x - mean) * invStd, M = N*H*W):
 *   dBeta = sum(g), dGamma = sum(g * xHat)
 *   dx = gamma * invStd * (g - dBeta / M - xHat * dGamma / M)
 *
 * On wasm and cpu (data in this process) forward and backward are one kernel each that walks
 * the tensor twice (kernels/BatchNormTraining.ts); on other backends the same formula runs as
 * tfjs ops. The batch statistics come back too (for running averages); they are computed inside
 * the op, off the gradient tape, and belong to the caller, who must dispose them.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from './tf.ts';
import { EngineError } from '../errors.ts';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
} from './kernels/BatchNormTraining.ts';

export interface BatchNormTraining {
  y: Tensor4D;
  /** Batch mean [C]; the caller disposes it. */
  mean: Tensor1D;
  /** Biased batch variance [C]; the caller disposes it. */
  variance: Tensor1D;
}

export interface BatchNormTrainingOptions {
  /** Apply ReLU to the output (fused: the gradient masks where it clamped). */
  relu?: boolean;
  /**
   * Use the two-kernel form where the backend allows (default); false runs the tfjs-op form
   * that other backends use (for tests).
   */
  kernels?: boolean;
}

/** Backends whose data the fused kernels can read (kernels/hostArrays.ts). */
const HOST_BACKENDS = ['wasm', 'cpu'];

function fusedKernelsFor(backend: string): boolean {
  if (!HOST_BACKENDS.includes(backend)) return false;
  for (const config of [batchNormTrainingConfig, batchNormTrainingGradConfig]) {
    if (!tf.getKernel(config.kernelName, backend))
      tf.registerKernel({ ...config, backendName: backend });
  }
  return true;
}

type Run = (name: string, inputs: Record<string, Tensor>, attrs: object) => Tensor[];
// Attrs are a NamedAttrMap in tfjs; these hold only numbers and booleans.
const runKernel: Run = (name, inputs, attrs) =>
  tf.engine().runKernel(name, inputs, attrs as never) as Tensor[];

export function batchNormTraining(
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
  options: BatchNormTrainingOptions = {},
): BatchNormTraining {
  const channels = x.shape[3];
  if (x.rank !== 4 || gamma.shape.join() !== `${channels}` || beta.shape.join() !== `${channels}`) {
    throw new EngineError(
      `batchNormTraining: expected x [N,H,W,C], gamma [C], beta [C], got [${x.shape.join(',')}], [${gamma.shape.join(',')}], [${beta.shape.join(',')}]`,
    );
  }
  const relu = options.relu ?? false;
  const fused =
    (options.kernels ?? true) && x.dtype === 'float32' && fusedKernelsFor(tf.getBackend());
  let stats: { mean: Tensor1D; variance: Tensor1D } | undefined;
  const op = tf.customGrad((...args) => {
    const [input, g, b, save] = args as unknown as [
      Tensor4D,
      Tensor1D,
      Tensor1D,
      (tensors: Tensor[]) => void,
    ];
    const attrs = { epsilon, relu };
    if (fused) {
      const [y, mean, variance] = runKernel(
        BATCH_NORM_TRAINING,
        { x: input, gamma: g, beta: b },
        attrs,
      ) as [Tensor4D, Tensor1D, Tensor1D];
      stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
      // y for the ReLU mask (saving shares its data; no copy).
      save([input, g, mean, variance, y]);
      return {
        value: y,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [xs, gs, mu, sigma2, ys] = saved as Tensor[];
          return runKernel(
            BATCH_NORM_TRAINING_GRAD,
            { dy, x: xs!, y: ys!, gamma: gs!, mean: mu!, variance: sigma2! },
            attrs,
          );
        },
      };
    }
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const scale = tf.mul(g, invStd);
    const shift = tf.sub(b, tf.mul(mean, scale));
    const pre = tf.add(tf.mul(input, scale), shift) as Tensor4D;
    stats = { mean: tf.keep(mean as Tensor1D), variance: tf.keep(variance as Tensor1D) };
    save([input, mean, invStd, g, pre]);
    return {
      value: relu ? tf.relu(pre) : pre,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, mu, inv, gs, preActivation] = saved as [
          Tensor4D,
          Tensor1D,
          Tensor1D,
          Tensor1D,
          Tensor4D,
        ];
        const count = xs.size / channels;
        const grad = relu ? tf.mul(dy, tf.step(preActivation)) : dy;
        const xHat = tf.mul(tf.sub(xs, mu), inv);
        const dBeta = tf.sum(grad, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(grad, xHat), [0, 1, 2]);
        const centred = tf.sub(
          tf.sub(grad, tf.div(dBeta, count)),
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
