/**
 * A block node: a group of residual (2+1)D bottleneck modules (official `block_group` with
 * `bottleneck_block_interleave`, after ResNet-50's bottleneck and R(2+1)D).
 *
 *   module m:  x -> [1x1 conv | temporal k=3 conv, dilation d] -> BN -> ReLU      (filters)
 *                -> 3x3 conv, stride s (m = 0 only)            -> BN -> ReLU      (inter width)
 *                -> 1x1 conv                                   -> BN (gamma = 0)  (4 x filters)
 *                -> + shortcut -> ReLU
 *   shortcut:  m = 0: 1x1 conv stride s -> BN (projection); else identity.
 *
 * Which modules start with the temporal conv: official = odd modules (1, 3, ...), see
 * `TemporalModules` in scaling.ts. The 3x3 width is the official per-level
 * `intermediate_channel_size` (64/128/256/512 x width multiplier), not the node's filters.
 */
import { tf, type Tensor4D, type Variable } from '../engine/tf.ts';
import {
  createBatchNorm,
  varianceScaling,
  type BatchNorm,
  type BatchNormOptions,
  type ConvOps,
  type ParameterStore,
} from './layers.ts';
import { BLOCK_TEMPORAL_KERNEL, isTemporalModule, type TemporalModules } from './scaling.ts';
import { temporalInit } from './stem.ts';

export interface BlockOptions {
  blockInChannels: number;
  blockFilters: number;
  blockInterFilters: number;
  blockModules: number;
  blockStride: number;
  blockTemporalDilation: number;
  blockTemporalModules: TemporalModules;
  norm: BatchNormOptions;
}

export interface Block {
  readonly outChannels: number;
  /** x [B*T, H, W, Cin] -> [B*T, ceil(H/s), ceil(W/s), 4 x filters] */
  apply(x: Tensor4D, training: boolean): Tensor4D;
}

interface ConvBn {
  filter: Variable;
  norm: BatchNorm;
}

interface Module {
  projection?: ConvBn;
  first: ConvBn & { temporal: boolean };
  spatial: ConvBn;
  expand: ConvBn;
  stride: number;
}

export function createBlock(
  store: ParameterStore,
  ops: ConvOps,
  path: string,
  options: BlockOptions,
): Block {
  const {
    blockFilters: filters,
    blockInterFilters: inter,
    blockTemporalDilation: dilation,
    norm,
  } = options;
  const out = 4 * filters;
  const convBn = (
    name: string,
    shape: number[],
    init: ReturnType<typeof varianceScaling>,
    zeroGamma = false,
  ): ConvBn => ({
    filter: store.variable(`${name}/filter`, shape, init),
    norm: createBatchNorm(store, `${name}/bn`, shape[3], { ...norm, zeroGamma }),
  });
  const modules: Module[] = [];
  for (let m = 0; m < options.blockModules; m++) {
    const cin = m === 0 ? options.blockInChannels : out;
    const at = `${path}/module${m}`;
    const temporal = isTemporalModule(m, options.blockTemporalModules);
    const k = BLOCK_TEMPORAL_KERNEL;
    modules.push({
      projection:
        m === 0 ? convBn(`${at}/projection`, [1, 1, cin, out], varianceScaling(cin)) : undefined,
      first: temporal
        ? {
            ...convBn(`${at}/temporal`, [k, 1, cin, filters], temporalInit(k, cin, dilation)),
            temporal,
          }
        : { ...convBn(`${at}/pointwise`, [1, 1, cin, filters], varianceScaling(cin)), temporal },
      spatial: convBn(`${at}/spatial`, [3, 3, filters, inter], varianceScaling(9 * filters)),
      expand: convBn(`${at}/expand`, [1, 1, inter, out], varianceScaling(inter), true),
      stride: m === 0 ? options.blockStride : 1,
    });
  }
  return {
    outChannels: out,
    apply(x, training) {
      return tf.tidy(() => {
        let y = x;
        for (const module of modules) y = applyModule(ops, module, dilation, y, training);
        return y;
      });
    },
  };
}

function applyModule(
  ops: ConvOps,
  module: Module,
  dilation: number,
  x: Tensor4D,
  training: boolean,
): Tensor4D {
  const { projection, first, spatial, expand, stride } = module;
  const shortcut = projection
    ? projection.norm.apply(ops.spatial(x, projection.filter as Tensor4D, stride), training)
    : x;
  let y = first.temporal
    ? ops.temporal(x, first.filter as Tensor4D, dilation)
    : ops.spatial(x, first.filter as Tensor4D, 1);
  y = first.norm.apply(y, training, true);
  y = spatial.norm.apply(ops.spatial(y, spatial.filter as Tensor4D, stride), training, true);
  y = expand.norm.apply(ops.spatial(y, expand.filter as Tensor4D, 1), training);
  return tf.relu(tf.add(y, shortcut)) as Tensor4D;
}
