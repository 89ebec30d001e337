/**
 * Student parameter counts and FLOPs by formula, and EfficientNet compound scaling
 * (here also over frames).
 */
import { InputError } from '../errors.ts';
import {
  planStudentBlocks,
  STREAM_CHANNELS,
  studentFeatureChannels,
  studentStreams,
  parseStudent,
  splitChannels,
  type StudentArch,
} from './student.ts';

export interface StudentParameterCount {
  /** Convs, BN gamma/beta, SE and dense weights. */
  trainable: number;
  /** BN moving mean/variance. */
  nonTrainable: number;
  total: number;
}

/** Parameters of `createStudent(arch, {numClasses})`, by formula. */
export function countStudentParameters(
  arch: StudentArch,
  numClasses: number,
): StudentParameterCount {
  let trainable = 0;
  let nonTrainable = 0;
  const bn = (channels: number) => {
    trainable += 2 * channels;
    nonTrainable += 2 * channels;
  };
  for (const stream of studentStreams(arch)) {
    trainable += arch.stem.kernel * arch.stem.kernel * STREAM_CHANNELS[stream] * arch.stem.filters;
    bn(arch.stem.filters);
  }
  for (const plan of planStudentBlocks(arch)) {
    if (plan.hasExpand) {
      trainable += plan.inChannels * plan.expanded;
      bn(plan.expanded);
    }
    // Mixed depthwise: sum over groups of k*k*groupChannels = per-channel k^2.
    const groups = splitChannels(plan.expanded, plan.kernels.length);
    plan.kernels.forEach((k, g) => (trainable += k * k * groups[g]));
    bn(plan.expanded);
    if (plan.temporalKernel > 1) {
      trainable += plan.temporalKernel * plan.expanded;
      bn(plan.expanded);
    }
    if (plan.seChannels > 0)
      trainable += 2 * plan.expanded * plan.seChannels + plan.seChannels + plan.expanded;
    trainable += plan.expanded * plan.outChannels;
    bn(plan.outChannels);
  }
  const last = arch.stages[arch.stages.length - 1].filters;
  if (arch.headFilters > 0) {
    trainable += last * arch.headFilters;
    bn(arch.headFilters);
  }
  trainable += studentFeatureChannels(arch) * numClasses + numClasses;
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

export interface StudentFlops {
  /** Multiply-accumulates of convs, SE and dense layers for one clip (batch 1). */
  macs: number;
  /** 2 x macs. */
  flops: number;
}

const down = (size: number, stride: number) => Math.ceil(size / stride);

/** Conv/SE/dense multiply-accumulates of one clip ('same' padding; BN and activations ignored). */
export function estimateStudentFlops(arch: StudentArch, numClasses: number): StudentFlops {
  const frames = arch.frames;
  let size = down(arch.resolution, 2);
  let macs = 0;
  for (const stream of studentStreams(arch)) {
    macs +=
      frames *
      size *
      size *
      arch.stem.kernel *
      arch.stem.kernel *
      STREAM_CHANNELS[stream] *
      arch.stem.filters;
  }
  for (const plan of planStudentBlocks(arch)) {
    const inPixels = frames * size * size;
    if (plan.hasExpand) macs += inPixels * plan.inChannels * plan.expanded;
    size = down(size, plan.stride);
    const outPixels = frames * size * size;
    const groups = splitChannels(plan.expanded, plan.kernels.length);
    plan.kernels.forEach((k, g) => (macs += outPixels * k * k * groups[g]));
    if (plan.temporalKernel > 1) macs += outPixels * plan.temporalKernel * plan.expanded;
    if (plan.seChannels > 0) macs += 2 * plan.expanded * plan.seChannels;
    macs += outPixels * plan.expanded * plan.outChannels;
  }
  if (arch.headFilters > 0)
    macs += frames * size * size * arch.stages[arch.stages.length - 1].filters * arch.headFilters;
  macs += studentFeatureChannels(arch) * numClasses;
  return { macs, flops: 2 * macs };
}

export interface CompoundCoefficients {
  /** Depth (repeats) base, EfficientNet 1.2. */
  alpha: number;
  /** Width (channels) base, EfficientNet 1.1. */
  beta: number;
  /** Resolution base, EfficientNet 1.15. */
  gamma: number;
  /** Frames base (this project; X3D-style temporal scaling). */
  delta: number;
}

export const EFFICIENTNET_COEFFICIENTS: CompoundCoefficients = {
  alpha: 1.2,
  beta: 1.1,
  gamma: 1.15,
  delta: 1,
};

/** Channels rounded to a multiple of `divisor` (8 as in MobileNet/EfficientNet), never down by more than 10%. */
export function roundChannels(channels: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((channels + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * channels ? rounded + divisor : rounded;
}

/**
 * EfficientNet compound scaling with one coefficient phi: repeats x alpha^phi (ceil), widths x
 * beta^phi (rounded to 8), resolution x gamma^phi (rounded to 8), frames x delta^phi (rounded).
 * phi = 0 returns the architecture unchanged. EfficientNet's constraint alpha * beta^2 *
 * gamma^2 ~ 2 makes each unit of phi roughly double the FLOPs (the frames factor multiplies on top).
 */
export function scaleStudent(
  arch: StudentArch,
  phi: number,
  coefficients: Partial<CompoundCoefficients> = {},
): StudentArch {
  const { alpha, beta, gamma, delta } = { ...EFFICIENTNET_COEFFICIENTS, ...coefficients };
  if (!Number.isFinite(phi))
    throw new InputError(`scaleStudent: expected a finite phi, got ${phi}`);
  for (const [name, value] of Object.entries({ alpha, beta, gamma, delta })) {
    if (!(value >= 1)) throw new InputError(`scaleStudent: expected ${name} >= 1, got ${value}`);
  }
  if (phi === 0) return arch;
  const depth = alpha ** phi;
  const width = beta ** phi;
  const scaled = {
    ...arch,
    name: `${arch.name}-phi${phi}`,
    frames: Math.max(1, Math.round(arch.frames * delta ** phi)),
    resolution: Math.max(8, Math.round((arch.resolution * gamma ** phi) / 8) * 8),
    stem: { ...arch.stem, filters: roundChannels(arch.stem.filters * width) },
    stages: arch.stages.map((stage) => ({
      ...stage,
      repeats: Math.max(1, Math.ceil(stage.repeats * depth)),
      filters: roundChannels(stage.filters * width),
    })),
    headFilters: arch.headFilters > 0 ? roundChannels(arch.headFilters * width) : 0,
  };
  return parseStudent(scaled);
}
