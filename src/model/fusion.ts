/**
 * Multi-input fusion of a block node (official `multi_connection_fusion`).
 *
 *   inputs_i [B*T, H_i, W_i, C_i]
 *     -> MaxPool r x r / r to the smallest H, W       r = floor((H_i + 1) / H_min), as official
 *     -> x w_i                                       w = sigmoid(edge logits)  |  fast-normalised
 *     -> sum the inputs of equal channel count
 *     -> 1x1 conv each sum up to the largest C (no BN, no bias), the largest-C sum as is
 *     -> add                                         -> [B*T, H_min, W_min, C_max]
 *
 * Weights: "sigmoid" (AssembleNet): w_i = sigmoid(v_i), v ~ N(0, 0.01) learnable. "fast-normalised"
 * (EfficientDet BiFPN): w_i = relu(v_i) / (1e-4 + sum_j relu(v_j)), v initialised to 1.
 * Weights given by the genome are frozen constants (no variable): sigmoid values are used as they
 * are (the official code stores their logits in a non-trainable variable: same values), raw fast
 * weights go through the same normalisation. A single input passes through with weight 1.
 *
 * Inputs are stem or block outputs, which end in ReLU (>= 0), so the max-pool never sees an
 * all-negative window (where the wasm MaxPoolGrad is wrong).
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Variable } from '../engine/tf.ts';
import { EngineError } from '../errors.ts';
import type { FusionKind } from './genome.ts';
import { varianceScaling, type ConvOps, type ParameterStore } from './layers.ts';

/** EfficientDet's epsilon in w_i / (eps + sum w_j). */
export const FAST_FUSION_EPSILON = 1e-4;

export interface FusionOptions {
  fusionKind: FusionKind;
  /** Channels of each input, in input order. */
  fusionInputChannels: number[];
  /** Frozen weights from the genome (one per input); learnable when absent. */
  fusionFrozenWeights?: number[];
}

export interface Fusion {
  readonly outChannels: number;
  /** True when the weights came from the genome. */
  readonly frozen: boolean;
  /** The learnable edge variable, if any. */
  readonly edgeVariable?: Variable;
  /** inputs [B*T, H_i, W_i, C_i] -> [B*T, H_min, W_min, C_max] */
  apply(inputs: Tensor4D[]): Tensor4D;
  /** Effective weight of each input edge: [inputs]. */
  edgeWeights(): Tensor1D;
}

export function createFusion(
  store: ParameterStore,
  ops: ConvOps,
  path: string,
  options: FusionOptions,
): Fusion {
  const channels = options.fusionInputChannels;
  const count = channels.length;
  const largest = Math.max(...channels);
  if (count === 1) {
    return {
      outChannels: largest,
      frozen: false,
      apply: (inputs) => inputs[0],
      edgeWeights: () => tf.ones([1]) as Tensor1D,
    };
  }
  const frozen = options.fusionFrozenWeights;
  let raw: Tensor;
  let edgeVariable: Variable | undefined;
  if (frozen) {
    raw = store.constant(frozen, [count]);
  } else {
    const init =
      options.fusionKind === 'sigmoid'
        ? ({ kind: 'truncated', stddev: 0.01 } as const)
        : ({ kind: 'ones' } as const);
    edgeVariable = store.variable(`${path}/edge_weights`, [count], init);
    raw = edgeVariable;
  }
  const edgeWeights = (): Tensor1D =>
    tf.tidy(() => {
      if (options.fusionKind === 'fast-normalised') {
        const positive = tf.relu(raw);
        return tf.div(positive, tf.add(tf.sum(positive), FAST_FUSION_EPSILON)) as Tensor1D;
      }
      return (frozen ? tf.clone(raw) : tf.sigmoid(raw)) as Tensor1D;
    });
  const matchFilters = new Map<number, Variable>();
  for (const group of new Set(channels)) {
    if (group === largest) continue;
    matchFilters.set(
      group,
      store.variable(
        `${path}/match${group}/filter`,
        [1, 1, group, largest],
        varianceScaling(group),
      ),
    );
  }
  return {
    outChannels: largest,
    frozen: frozen !== undefined,
    edgeVariable,
    edgeWeights,
    apply(inputs) {
      if (inputs.length !== count) {
        throw new EngineError(`fusion ${path}: expected ${count} inputs, got ${inputs.length}`);
      }
      return tf.tidy(() => {
        const minHeight = Math.min(...inputs.map((x) => x.shape[1]));
        const minWidth = Math.min(...inputs.map((x) => x.shape[2]));
        const weights = tf.unstack(edgeWeights());
        const groups = new Map<number, Tensor4D[]>();
        inputs.forEach((input, i) => {
          const pooled = poolTo(input, minHeight, minWidth, path);
          const weighted = tf.mul(pooled, weights[i]) as Tensor4D;
          const channelCount = input.shape[3];
          groups.set(channelCount, [...(groups.get(channelCount) ?? []), weighted]);
        });
        const summed: Tensor4D[] = [];
        for (const [group, members] of groups) {
          const sum = members.length === 1 ? members[0] : (tf.addN(members) as Tensor4D);
          const filter = matchFilters.get(group);
          summed.push(filter ? ops.spatial(sum, filter as Tensor4D, 1) : sum);
        }
        return summed.length === 1 ? summed[0] : (tf.addN(summed) as Tensor4D);
      });
    },
  };
}

/** Official spatial matching: max-pool by r = floor((H + 1) / H_min), 'same' padding. */
function poolTo(x: Tensor4D, height: number, width: number, path: string): Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  const ratio = Math.floor((x.shape[1] + 1) / height);
  const pooled = tf.maxPool(x, [ratio, ratio], ratio, 'same');
  if (pooled.shape[1] !== height || pooled.shape[2] !== width) {
    throw new EngineError(
      `fusion ${path}: expected an input pooled to ${height}x${width}, got ${pooled.shape[1]}x${pooled.shape[2]} from ${x.shape[1]}x${x.shape[2]} (use a resolution divisible by 32)`,
    );
  }
  return pooled;
}
