/**
 * Student building blocks, in 4-D with time folded into the batch ([B*T, H, W, C]).
 *
 * Inverted-bottleneck (2+1)D block (MobileNetV2/V3, MixNet's MDConv, R(2+1)D factorisation):
 *
 *   x -> 1x1 expand (ratio) -> BN -> act                          (skipped when ratio = 1)
 *     -> depthwise kxk, stride s, per channel group (MixNet)   -> BN -> act
 *     -> depthwise temporal kt x 1, dilation d on [B, T, H*W, C] -> BN -> act (skipped when kt = 1)
 *     -> squeeze-and-excitation: mean over T,H,W -> FC -> ReLU -> FC -> sigmoid -> scale
 *     -> 1x1 project -> BN
 *     -> + x when stride 1 and channels match
 *
 * Stem: spatial kxk conv, stride 2 -> BN -> act, one per stream.
 */
import { tf, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.ts';
import {
  createBatchNorm,
  varianceScaling,
  type BatchNorm,
  type BatchNormOptions,
  type ParameterStore,
} from '../model/layers.ts';
import { depthwiseConv } from './depthwise.ts';
import { splitChannels, type Activation, type BlockPlan } from './student.ts';

/** h-swish (MobileNetV3): x * relu6(x + 3) / 6. */
export function hardSwish(x: Tensor4D): Tensor4D {
  return tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)) as Tensor4D);
}

export function activate(x: Tensor4D, activation: Activation): Tensor4D {
  return activation === 'relu' ? tf.relu(x) : hardSwish(x);
}

interface ConvBn {
  filter: Variable;
  norm: BatchNorm;
}

function convBn(
  store: ParameterStore,
  path: string,
  shape: number[],
  fanIn: number,
  norm: BatchNormOptions,
  zeroGamma = false,
): ConvBn {
  return {
    filter: store.variable(`${path}/filter`, shape, varianceScaling(fanIn)),
    norm: createBatchNorm(store, `${path}/bn`, shape[3] === 1 ? shape[2] : shape[3], {
      ...norm,
      zeroGamma,
    }),
  };
}

export interface StudentStem {
  readonly outChannels: number;
  /** x [B*T, H, W, Cin] -> [B*T, ceil(H/2), ceil(W/2), filters] */
  apply(x: Tensor4D, training: boolean): Tensor4D;
}

export interface StemOptions {
  stemInputChannels: number;
  stemFilters: number;
  stemKernel: number;
  stemActivation: Activation;
  norm: BatchNormOptions;
}

export function createStudentStem(
  store: ParameterStore,
  path: string,
  options: StemOptions,
): StudentStem {
  const { stemInputChannels: cin, stemFilters: filters, stemKernel: k } = options;
  const conv = convBn(store, `${path}/conv`, [k, k, cin, filters], k * k * cin, options.norm);
  return {
    outChannels: filters,
    apply: (x, training) =>
      tf.tidy(() =>
        activate(
          conv.norm.apply(tf.conv2d(x, conv.filter as Tensor4D, 2, 'same'), training),
          options.stemActivation,
        ),
      ),
  };
}

export interface StudentBlock {
  readonly plan: BlockPlan;
  /** x [B*T, H, W, Cin] -> [B*T, ceil(H/s), ceil(W/s), Cout] */
  apply(x: Tensor4D, training: boolean): Tensor4D;
}

export function createStudentBlock(
  store: ParameterStore,
  path: string,
  plan: BlockPlan,
  frames: number,
  norm: BatchNormOptions,
): StudentBlock {
  const { inChannels: cin, expanded, outChannels: cout } = plan;
  const expand = plan.hasExpand
    ? convBn(store, `${path}/expand`, [1, 1, cin, expanded], cin, norm)
    : undefined;
  const groups = splitChannels(expanded, plan.kernels.length);
  const spatialFilters = plan.kernels.map((k, g) =>
    store.variable(
      `${path}/spatial/k${k}_g${g}/filter`,
      [k, k, groups[g], 1],
      varianceScaling(k * k),
    ),
  );
  const spatialNorm = createBatchNorm(store, `${path}/spatial/bn`, expanded, norm);
  const temporal =
    plan.temporalKernel > 1
      ? convBn(
          store,
          `${path}/temporal`,
          [plan.temporalKernel, 1, expanded, 1],
          plan.temporalKernel,
          norm,
        )
      : undefined;
  const se =
    plan.seChannels > 0
      ? {
          reduceKernel: store.variable(
            `${path}/se/reduce/kernel`,
            [expanded, plan.seChannels],
            varianceScaling(expanded),
          ),
          reduceBias: store.variable(`${path}/se/reduce/bias`, [plan.seChannels], {
            kind: 'zeros',
          }),
          expandKernel: store.variable(
            `${path}/se/expand/kernel`,
            [plan.seChannels, expanded],
            varianceScaling(plan.seChannels),
          ),
          expandBias: store.variable(`${path}/se/expand/bias`, [expanded], { kind: 'zeros' }),
        }
      : undefined;
  const project = convBn(
    store,
    `${path}/project`,
    [1, 1, expanded, cout],
    expanded,
    norm,
    plan.residual,
  );

  const spatial = (x: Tensor4D): Tensor4D => {
    if (spatialFilters.length === 1)
      return depthwiseConv(x, spatialFilters[0] as Tensor4D, plan.stride, 'same');
    const parts = tf.split(x, groups, 3) as Tensor4D[];
    return tf.concat(
      parts.map((part, g) =>
        depthwiseConv(part, spatialFilters[g] as Tensor4D, plan.stride, 'same'),
      ),
      3,
    ) as Tensor4D;
  };

  const temporalConv = (x: Tensor4D, filter: Variable): Tensor4D => {
    const [bt, h, w, c] = x.shape;
    const view = tf.reshape(x, [bt / frames, frames, h * w, c]) as Tensor4D;
    const y = depthwiseConv(view, filter as Tensor4D, 1, 'same', [plan.temporalDilation, 1]);
    return tf.reshape(y, [bt, h, w, c]) as Tensor4D;
  };

  const excite = (x: Tensor4D, weights: NonNullable<typeof se>): Tensor4D => {
    const [bt, h, w, c] = x.shape;
    const batch = bt / frames;
    const pooled = tf.mean(tf.reshape(x, [batch, frames * h * w, c]), 1) as Tensor2D; // [B, C]
    const hidden = tf.relu(tf.add(tf.matMul(pooled, weights.reduceKernel), weights.reduceBias));
    const gate = tf.sigmoid(
      tf.add(tf.matMul(hidden as Tensor2D, weights.expandKernel), weights.expandBias),
    ); // [B, C]
    const scaled = tf.mul(
      tf.reshape(x, [batch, frames * h, w, c]),
      tf.reshape(gate, [batch, 1, 1, c]),
    );
    return tf.reshape(scaled, [bt, h, w, c]) as Tensor4D;
  };

  return {
    plan,
    apply(x, training) {
      return tf.tidy(() => {
        let y: Tensor4D = x;
        if (expand)
          y = activate(
            expand.norm.apply(tf.conv2d(y, expand.filter as Tensor4D, 1, 'valid'), training),
            plan.activation,
          );
        y = activate(spatialNorm.apply(spatial(y), training), plan.activation);
        if (temporal)
          y = activate(
            temporal.norm.apply(temporalConv(y, temporal.filter), training),
            plan.activation,
          );
        if (se) y = excite(y, se);
        y = project.norm.apply(tf.conv2d(y, project.filter as Tensor4D, 1, 'valid'), training);
        return (plan.residual ? tf.add(y, x) : y) as Tensor4D;
      });
    },
  };
}
