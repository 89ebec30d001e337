/**
 * Scaling knobs and the channel plan of a genome, plus closed-form parameter and FLOP counts.
 *
 * The counts are formulas over the genome (not read from built variables), so a test can hold
 * the builder to them. Widths follow the official code: stems share 128 channels
 * (128 // number of stems each), block i has `filters` in its first layer,
 * `INTERMEDIATE_CHANNELS[level]` in its 3x3 conv and 4 x filters at its output.
 */
import { InputError } from '../errors.ts';
import {
  isStem,
  type BlockNode,
  type Genome,
  type ModulesPerLevel,
  type StemType,
} from './genome.ts';

/** Official `intermediate_channel_size`: 3x3 conv width per level (not the node's filters). */
export const INTERMEDIATE_CHANNELS = [64, 128, 256, 512] as const;
/** Official total stem width, split evenly between the stems. */
export const STEM_TOTAL_CHANNELS = 128;
/** Kernel sizes of the official stems and blocks. */
export const STEM_SPATIAL_KERNEL = 7;
export const STEM_TEMPORAL_KERNEL = 5;
export const BLOCK_TEMPORAL_KERNEL = 3;

/** Which residual modules of a block start with the temporal k=3 conv instead of a 1x1 conv. */
export type TemporalModules = 'odd' | 'even';

export interface ScaleOptions {
  /** Multiplies every channel count (stems, filters, 3x3 widths); default 1. */
  widthMultiplier?: number;
  /** Residual modules per level; default the genome's. */
  modulesPerLevel?: ModulesPerLevel;
  /**
   * 'odd' (official): modules 1, 3, 5... start with the temporal conv, module 0 with a 1x1.
   * 'even': modules 0, 2, 4... do, so that blocks of one module still mix time (small scale).
   */
  temporalModules?: TemporalModules;
  /** Channels of the segmentation input (AssembleNet++ object stem); default 1. */
  segmentationChannels?: number;
}

export interface ResolvedScale {
  widthMultiplier: number;
  modulesPerLevel: ModulesPerLevel;
  temporalModules: TemporalModules;
  segmentationChannels: number;
}

/** Channels of one node after scaling. */
export interface NodePlan {
  index: number;
  /** Output channels of the node. */
  outChannels: number;
  /** Stems: input channels (3 rgb, 2 flow, segmentationChannels). */
  stemInput?: number;
  /** Blocks: scaled filters, 3x3 width, channels entering the block (after fusion). */
  filters?: number;
  interFilters?: number;
  inChannels?: number;
}

export function resolveScale(genome: Genome, options: ScaleOptions = {}): ResolvedScale {
  const widthMultiplier = options.widthMultiplier ?? 1;
  if (!(widthMultiplier > 0) || !Number.isFinite(widthMultiplier)) {
    throw new InputError(`model: expected widthMultiplier > 0, got ${widthMultiplier}`);
  }
  const modulesPerLevel = options.modulesPerLevel ?? genome.modulesPerLevel;
  if (modulesPerLevel.length !== 4 || modulesPerLevel.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new InputError(
      `model: expected modulesPerLevel of 4 integers >= 1, got [${modulesPerLevel.join(',')}]`,
    );
  }
  const segmentationChannels = options.segmentationChannels ?? 1;
  return {
    widthMultiplier,
    modulesPerLevel,
    temporalModules: options.temporalModules ?? 'odd',
    segmentationChannels,
  };
}

export function scaleChannels(channels: number, widthMultiplier: number): number {
  return Math.max(1, Math.round(channels * widthMultiplier));
}

export const STEM_INPUT_CHANNELS: Readonly<Record<Exclude<StemType, 'segmentation'>, number>> = {
  rgb: 3,
  flow: 2,
};

/** Scaled channel counts of every node, in genome order. */
export function planChannels(genome: Genome, scale: ResolvedScale): NodePlan[] {
  const stemCount = genome.nodes.filter(isStem).length;
  const stemFilters = scaleChannels(
    Math.floor(STEM_TOTAL_CHANNELS / stemCount),
    scale.widthMultiplier,
  );
  const plans: NodePlan[] = [];
  genome.nodes.forEach((node, index) => {
    if (isStem(node)) {
      const stemInput =
        node.stem === 'segmentation' ? scale.segmentationChannels : STEM_INPUT_CHANNELS[node.stem];
      plans.push({ index, outChannels: stemFilters, stemInput });
      return;
    }
    const filters = scaleChannels(node.filters, scale.widthMultiplier);
    const interFilters = scaleChannels(INTERMEDIATE_CHANNELS[node.level], scale.widthMultiplier);
    const inChannels = Math.max(...node.inputs.map((input) => plans[input].outChannels));
    plans.push({ index, outChannels: 4 * filters, filters, interFilters, inChannels });
  });
  return plans;
}

/** True when residual module `module` of a block starts with the temporal conv. */
export function isTemporalModule(module: number, temporalModules: TemporalModules): boolean {
  return temporalModules === 'odd' ? module % 2 === 1 : module % 2 === 0;
}

export interface ParameterCount {
  /** Variables a trainer updates (convs, BN gamma/beta, learnable edge weights, dense). */
  trainable: number;
  /** BN running mean/variance. Frozen genome edge weights are constants and not counted. */
  nonTrainable: number;
  total: number;
}

export interface CountOptions extends ScaleOptions {
  numClasses: number;
}

/** Parameter count of the network `createAssembleNet(genome, options)` builds, by formula. */
export function countParameters(genome: Genome, options: CountOptions): ParameterCount {
  const scale = resolveScale(genome, options);
  const plans = planChannels(genome, scale);
  let trainable = 0;
  let nonTrainable = 0;
  const batchNorm = (channels: number) => {
    trainable += 2 * channels;
    nonTrainable += 2 * channels;
  };
  genome.nodes.forEach((node, index) => {
    const plan = plans[index];
    if (isStem(node)) {
      const f = plan.outChannels;
      trainable += STEM_SPATIAL_KERNEL ** 2 * (plan.stemInput ?? 0) * f;
      batchNorm(f);
      if (node.stem === 'rgb') {
        trainable += STEM_TEMPORAL_KERNEL * f * f;
        batchNorm(f);
      }
      return;
    }
    trainable += fusionParameters(node, plans);
    const { inChannels = 0, filters = 0, interFilters = 0, outChannels } = plan;
    for (let module = 0; module < scale.modulesPerLevel[node.level]; module++) {
      const cin = module === 0 ? inChannels : outChannels;
      if (module === 0) {
        trainable += cin * outChannels;
        batchNorm(outChannels);
      }
      const firstKernel = isTemporalModule(module, scale.temporalModules)
        ? BLOCK_TEMPORAL_KERNEL
        : 1;
      trainable += firstKernel * cin * filters;
      batchNorm(filters);
      trainable += 9 * filters * interFilters;
      batchNorm(interFilters);
      trainable += interFilters * outChannels;
      batchNorm(outChannels);
    }
  });
  const headChannels = headInputChannels(genome, plans);
  trainable += headChannels * options.numClasses + options.numClasses;
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

/** Learnable edge weights (when not frozen) and the 1x1 convs that match channel counts. */
function fusionParameters(node: BlockNode, plans: NodePlan[]): number {
  if (node.inputs.length < 2) return 0;
  const channels = node.inputs.map((input) => plans[input].outChannels);
  const largest = Math.max(...channels);
  let count = node.weights ? 0 : node.inputs.length;
  for (const group of new Set(channels)) if (group !== largest) count += group * largest;
  return count;
}

export function headInputChannels(genome: Genome, plans: NodePlan[]): number {
  const last = genome.nodes.findIndex((node) => !isStem(node) && node.level === 3);
  return plans[last].outChannels;
}

export interface FlopOptions extends CountOptions {
  frames: number;
  /** Input height and width in pixels (a number for square frames). */
  resolution: number | [number, number];
}

export interface FlopEstimate {
  /** Multiply-accumulates of the convs and the dense layer for one clip. */
  macs: number;
  /** 2 x macs. */
  flops: number;
}

/** Spatial size after a stride-s conv or pool with the official padding: ceil(size / s). */
const down = (size: number, stride: number) => Math.ceil(size / stride);

/**
 * Conv and dense multiply-accumulates of one clip (batch 1); BN, ReLU, pooling and the fusion
 * products are ignored (they are a few percent at most).
 */
export function estimateFlops(genome: Genome, options: FlopOptions): FlopEstimate {
  const scale = resolveScale(genome, options);
  const plans = planChannels(genome, scale);
  const [height, width] =
    typeof options.resolution === 'number'
      ? [options.resolution, options.resolution]
      : options.resolution;
  const frames = options.frames;
  const sizes: [number, number][] = [];
  let macs = 0;
  genome.nodes.forEach((node, index) => {
    const plan = plans[index];
    if (isStem(node)) {
      const h = down(height, 2);
      const w = down(width, 2);
      const f = plan.outChannels;
      macs += frames * h * w * STEM_SPATIAL_KERNEL ** 2 * (plan.stemInput ?? 0) * f;
      if (node.stem === 'rgb') macs += frames * h * w * STEM_TEMPORAL_KERNEL * f * f;
      sizes.push([down(h, 2), down(w, 2)]);
      return;
    }
    const h = Math.min(...node.inputs.map((input) => sizes[input][0]));
    const w = Math.min(...node.inputs.map((input) => sizes[input][1]));
    const channels = node.inputs.map((input) => plans[input].outChannels);
    const largest = Math.max(...channels);
    if (channels.length > 1) {
      for (const group of new Set(channels))
        if (group !== largest) macs += frames * h * w * group * largest;
    }
    const { inChannels = 0, filters = 0, interFilters = 0, outChannels } = plan;
    const ho = down(h, node.stride);
    const wo = down(w, node.stride);
    for (let module = 0; module < scale.modulesPerLevel[node.level]; module++) {
      const cin = module === 0 ? inChannels : outChannels;
      const [hi, wi] = module === 0 ? [h, w] : [ho, wo];
      if (module === 0) macs += frames * ho * wo * cin * outChannels;
      const firstKernel = isTemporalModule(module, scale.temporalModules)
        ? BLOCK_TEMPORAL_KERNEL
        : 1;
      macs += frames * hi * wi * firstKernel * cin * filters;
      macs += frames * ho * wo * 9 * filters * interFilters;
      macs += frames * ho * wo * interFilters * outChannels;
    }
    sizes.push([ho, wo]);
  });
  macs += headInputChannels(genome, plans) * options.numClasses;
  return { macs, flops: 2 * macs };
}
