/**
 * Layer machinery for the builder: a named parameter store (tf.Variables, seeded init), the conv
 * primitives on 4-D views (or the conv3d reference), and batch norm written on 4-D tensors.
 * Internal: networks are made by `createAssembleNet` (network.ts).
 */
import { tf, type Tensor, type Tensor4D, type Tensor5D, type Variable } from '../engine/tf.ts';
import { spatialConv, temporalConv, type SpatialPadding } from '../engine/conv2plus1d.ts';
import { EngineError } from '../errors.ts';
import { batchNormTraining } from '../engine/batchNorm.ts';

/** How convs run: conv2d on 4-D views (the project's path) or tf.conv3d on 5-D (reference). */
export type ConvMode = '2plus1d' | 'conv3d';

export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal'; stddev: number }
  | { kind: 'truncated'; stddev: number }
  | { kind: 'values'; values: number[] };

/** Keras VarianceScaling(scale=1, fan_in, truncated normal), the official conv init. */
export function varianceScaling(fanIn: number): Initializer {
  // 0.8796 is the stddev of a unit normal truncated at two standard deviations.
  return { kind: 'truncated', stddev: Math.sqrt(1 / fanIn) / 0.87962566103423978 };
}

/** `prefix`, or `prefix_2`, `prefix_3`... : the first scope no live variable uses. */
function freeScope(prefix: string): string {
  const taken = new Set(
    Object.keys(tf.engine().registeredVariables).map((name) => name.slice(0, name.indexOf('/'))),
  );
  let scope = prefix;
  for (let n = 2; taken.has(scope); n++) scope = `${prefix}_${n}`;
  return scope;
}

/**
 * Owns a network's variables. Variable names are `<scope>/<path>`, the scope unique among live
 * variables (tfjs refuses two variables of one name); `named` is keyed by the path alone, for saving.
 */
export class ParameterStore {
  readonly scope: string;
  readonly named = new Map<string, Variable>();
  private readonly constants: Tensor[] = [];
  private seed: number;

  constructor(scopePrefix = 'assemblenet', seed = 1) {
    this.scope = freeScope(scopePrefix);
    this.seed = seed;
  }

  variable(path: string, shape: number[], init: Initializer, trainable = true): Variable {
    if (this.named.has(path))
      throw new EngineError(`model: expected a new variable name, got duplicate "${path}"`);
    const initial = tf.tidy(() => this.initialValue(shape, init));
    const variable = tf.variable(initial, trainable, `${this.scope}/${path}`);
    initial.dispose();
    this.named.set(path, variable);
    return variable;
  }

  /** A frozen tensor owned by the store (not a variable: no gradient, not saved). */
  constant(values: number[], shape: number[]): Tensor {
    const tensor = tf.tensor(values, shape);
    this.constants.push(tensor);
    return tensor;
  }

  trainableVariables(): Variable[] {
    return [...this.named.values()].filter((v) => v.trainable);
  }

  dispose(): void {
    for (const variable of this.named.values()) variable.dispose();
    for (const tensor of this.constants) tensor.dispose();
    this.named.clear();
    this.constants.length = 0;
  }

  private initialValue(shape: number[], init: Initializer): Tensor {
    switch (init.kind) {
      case 'zeros':
        return tf.zeros(shape);
      case 'ones':
        return tf.ones(shape);
      case 'normal':
        return tf.randomNormal(shape, 0, init.stddev, 'float32', this.seed++);
      case 'truncated':
        return tf.truncatedNormal(shape, 0, init.stddev, 'float32', this.seed++);
      case 'values':
        return tf.tensor(init.values, shape);
    }
  }
}

/** The conv primitives a network uses; `frames` is the clip length folded into the batch. */
export interface ConvOps {
  readonly mode: ConvMode;
  readonly frames: number;
  /** kxk spatial conv with the official fixed padding. x [B*T,H,W,Cin], filter [k,k,Cin,Cout]. */
  spatial(x: Tensor4D, filter: Tensor4D, stride: number): Tensor4D;
  /** kx1x1 temporal conv, 'same' over time. x [B*T,H,W,Cin], filter [k,1,Cin,Cout]. */
  temporal(x: Tensor4D, filter: Tensor4D, dilation: number): Tensor4D;
}

/**
 * Official `conv2d_fixed_padding`: stride 1 -> 'same'; stride > 1 -> pad (k-1) split
 * floor/ceil, then 'valid' (independent of the input size). Output size ceil(H / stride).
 */
export function fixedPad(x: Tensor4D, kernel: number): Tensor4D {
  if (kernel === 1) return x;
  const before = Math.floor((kernel - 1) / 2);
  const after = kernel - 1 - before;
  return tf.pad(x, [
    [0, 0],
    [before, after],
    [before, after],
    [0, 0],
  ]);
}

/** `fixedPad` as the conv's explicit padding: no padded copy of the input, none of its gradient. */
function fixedPadding(kernel: number): SpatialPadding {
  const before = Math.floor((kernel - 1) / 2);
  const after = kernel - 1 - before;
  return [
    [0, 0],
    [before, after],
    [before, after],
    [0, 0],
  ];
}

export function createConvOps(mode: ConvMode, frames: number): ConvOps {
  if (mode === '2plus1d') {
    return {
      mode,
      frames,
      spatial: (x, filter, stride) =>
        spatialConv(x, filter, stride, stride === 1 ? 'same' : fixedPadding(filter.shape[0])),
      temporal: (x, filter, dilation) => temporalConv(x, frames, filter, dilation),
    };
  }
  // Reference: the same convs as tf.conv3d on [B, T, H, W, C] (slow on wasm; for benchmarks).
  const to5d = (x: Tensor4D): Tensor5D => {
    const [bt, h, w, c] = x.shape;
    return tf.reshape(x, [bt / frames, frames, h, w, c]);
  };
  const to4d = (y: Tensor5D): Tensor4D => {
    const [b, t, h, w, c] = y.shape;
    return tf.reshape(y, [b * t, h, w, c]);
  };
  return {
    mode,
    frames,
    spatial: (x, filter, stride) =>
      tf.tidy(() => {
        const [k, kw, cin, cout] = filter.shape;
        const padded = stride === 1 ? x : fixedPad(x, k);
        const y = tf.conv3d(
          to5d(padded),
          tf.reshape(filter, [1, k, kw, cin, cout]),
          [1, stride, stride],
          stride === 1 ? 'same' : 'valid',
        );
        return to4d(y);
      }),
    temporal: (x, filter, dilation) =>
      tf.tidy(() => {
        const [k, , cin, cout] = filter.shape;
        const y = tf.conv3d(to5d(x), tf.reshape(filter, [k, 1, 1, cin, cout]), 1, 'same', 'NDHWC', [
          dilation,
          1,
          1,
        ]);
        return to4d(y);
      }),
  };
}

export interface BatchNormOptions {
  /** Running-average decay (official norm_momentum 0.99). */
  momentum: number;
  /** official norm_epsilon 1e-5 */
  epsilon: number;
}

export interface BatchNorm {
  readonly channels: number;
  /**
   * x [N, H, W, C]: batch statistics over [0,1,2] when training, running ones otherwise;
   * `relu` applies ReLU to the result (fused into the training kernel and its gradient).
   */
  apply(x: Tensor4D, training: boolean, relu?: boolean): Tensor4D;
}

/**
 * Batch norm on 4-D tensors with elementary ops (tf.batchNorm's gradient fails on rank 5; this
 * one never sees rank 5). Statistics over batch*frames, height, width, as a 3-D BN would.
 * The running variance is updated with the biased batch variance (as Keras does).
 */
export function createBatchNorm(
  store: ParameterStore,
  path: string,
  channels: number,
  options: BatchNormOptions & { zeroGamma?: boolean },
): BatchNorm {
  const gamma = store.variable(`${path}/gamma`, [channels], {
    kind: options.zeroGamma ? 'zeros' : 'ones',
  });
  const beta = store.variable(`${path}/beta`, [channels], { kind: 'zeros' });
  const movingMean = store.variable(`${path}/moving_mean`, [channels], { kind: 'zeros' }, false);
  const movingVariance = store.variable(
    `${path}/moving_variance`,
    [channels],
    { kind: 'ones' },
    false,
  );
  const { momentum, epsilon } = options;
  return {
    channels,
    apply(x, training, relu = false) {
      return tf.tidy(() => {
        if (training) {
          const out = batchNormTraining(x, gamma, beta, epsilon, { relu });
          tf.tidy(() => {
            movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(out.mean, 1 - momentum)));
            movingVariance.assign(
              tf.add(tf.mul(movingVariance, momentum), tf.mul(out.variance, 1 - momentum)),
            );
          });
          out.mean.dispose();
          out.variance.dispose();
          return out.y;
        }
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(movingVariance, epsilon)));
        const y = tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(movingMean, scale))) as Tensor4D;
        return relu ? tf.relu(y) : y;
      });
    },
  };
}
