/**
 * Stems: the first layers of each input stream (official `rgb_conv_stem` / `flow_conv_stem`).
 *
 *   RGB:          Conv7x7/2 -> BN -> ReLU -> TemporalConv k=5, dilation d -> BN -> ReLU -> MaxPool 3x3/2
 *   flow, seg.:   Conv7x7/2 -> BN -> ReLU -> MaxPool 2x2/2
 *
 * Temporal value: as in the official code, every stem sees every frame of the clip at the base
 * frame rate, and the stem's value `d` is the dilation of the RGB stem's temporal conv (so
 * [-1, 4] looks at frames t-8, t-4, t, t+4, t+8). The official flow stem ignores its value; so
 * does this one. No frame subsampling happens anywhere: all streams keep T frames, which is
 * what lets the fusion add them. Deviations: the official network computes flow from RGB with a
 * Representation-Flow layer; here flow is an input ([B*T, H, W, 2], computed by src/flow). The
 * segmentation stem (AssembleNet++ object input, -3) is built like the flow stem.
 *
 * Max-pool runs after ReLU, where values are >= 0: this sidesteps the wasm MaxPoolGrad bug for
 * windows that are entirely negative.
 */
import { tf, type Tensor4D, type Variable } from '../engine/tf.ts';
import type { StemType } from './genome.ts';
import {
  createBatchNorm,
  varianceScaling,
  type BatchNorm,
  type BatchNormOptions,
  type ConvOps,
  type ParameterStore,
} from './layers.ts';
import { STEM_SPATIAL_KERNEL, STEM_TEMPORAL_KERNEL } from './scaling.ts';

export interface StemOptions {
  stemType: StemType;
  /** Input channels: 3 rgb, 2 flow, the segmentation map's channels. */
  stemInputChannels: number;
  stemFilters: number;
  /** Dilation of the RGB stem's temporal conv (the genome's `temporal`). */
  stemTemporalDilation: number;
  norm: BatchNormOptions;
}

export interface Stem {
  readonly outChannels: number;
  /** x [B*T, H, W, Cin] -> [B*T, ceil(H/4), ceil(W/4), stemFilters] */
  apply(x: Tensor4D, training: boolean): Tensor4D;
}

export function createStem(
  store: ParameterStore,
  ops: ConvOps,
  path: string,
  options: StemOptions,
): Stem {
  const { stemInputChannels: cin, stemFilters: filters } = options;
  const k = STEM_SPATIAL_KERNEL;
  const spatialFilter = store.variable(
    `${path}/conv/filter`,
    [k, k, cin, filters],
    varianceScaling(k * k * cin),
  );
  const spatialNorm = createBatchNorm(store, `${path}/conv/bn`, filters, options.norm);
  let temporal: { filter: Variable; norm: BatchNorm; dilation: number } | undefined;
  if (options.stemType === 'rgb') {
    const dilation = Math.max(1, options.stemTemporalDilation);
    const kt = STEM_TEMPORAL_KERNEL;
    temporal = {
      filter: store.variable(
        `${path}/temporal/filter`,
        [kt, 1, filters, filters],
        temporalInit(kt, filters, dilation),
      ),
      norm: createBatchNorm(store, `${path}/temporal/bn`, filters, options.norm),
      dilation,
    };
  }
  const poolSize = options.stemType === 'rgb' ? 3 : 2;
  return {
    outChannels: filters,
    apply(x, training) {
      return tf.tidy(() => {
        let y = ops.spatial(x, spatialFilter as Tensor4D, 2);
        y = tf.relu(spatialNorm.apply(y, training));
        if (temporal) {
          y = ops.temporal(y, temporal.filter as Tensor4D, temporal.dilation);
          y = tf.relu(temporal.norm.apply(y, training));
        }
        return tf.maxPool(y, poolSize, 2, 'same');
      });
    },
  };
}

/** Official init of a temporal conv: VarianceScaling, or N(0, 2/(k*Cin)) truncated when dilated. */
export function temporalInit(kernel: number, cin: number, dilation: number) {
  return dilation === 1
    ? varianceScaling(kernel * cin)
    : ({ kind: 'truncated', stddev: Math.sqrt(2 / (kernel * cin)) } as const);
}
