/**
 * Genome -> network (official `AssembleNet` + `AssembleNetModel`), built on tf ops and
 * tf.Variables, in 4-D: every activation is [batch*frames, H, W, C].
 *
 *   inputs {rgb [B*T,H,W,3], flow [B*T,H,W,2], segmentation [B*T,H,W,S]}
 *     -> stems (stem.ts) -> nodes in genome order: fusion (fusion.ts) -> block (block.ts)
 *     -> head.pool over the level-3 nodes = features [B, C] -> head.apply = logits [B, classes]
 *
 * Every network has the same interface (features, head, apply), as distillation needs both.
 */
import { tf, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { isStem, type Genome, type StemType } from './genome.ts';
import { createBlock, type Block } from './block.ts';
import { createFusion, type Fusion } from './fusion.ts';
import { createHead } from './head.ts';
import { createConvOps, ParameterStore, type BatchNormOptions, type ConvMode } from './layers.ts';
import { checkMemory } from '../engine/memoryGuard.ts';
import {
  countParameters,
  headInputChannels,
  planChannels,
  resolveScale,
  type ResolvedScale,
  type ScaleOptions,
} from './scaling.ts';
import { createStem, type Stem } from './stem.ts';

export type NetworkInputs = Partial<Record<StemType, Tensor4D>>;

export interface NetworkOptions extends ScaleOptions {
  numClasses: number;
  /** Frames per clip (T); inputs carry B*T frames. */
  frames: number;
  /** Sigmoid outputs (Charades-style multi-label) instead of softmax. */
  multiLabel?: boolean;
  /** '2plus1d' (default): conv2d on 4-D views; 'conv3d': tf.conv3d reference (benchmarks). */
  conv?: ConvMode;
  /** Batch norm momentum/epsilon; official 0.99 / 1e-5. */
  norm?: Partial<BatchNormOptions>;
  /** Seed of the variable initialisers (same seed, same genome, same options: same weights). */
  seed?: number;
  /** Prefix of the variables' engine names (names are made unique per network). */
  scope?: string;
}

export interface ConnectionWeights {
  node: number;
  inputs: number[];
  /** Effective weight per input edge (sigmoid value, or normalised fast-fusion weight). */
  weights: number[];
  /** True when the weights came from the genome (not learnable). */
  frozen: boolean;
}

export interface AssembleNetwork {
  readonly genome: Genome;
  readonly numClasses: number;
  readonly frames: number;
  readonly multiLabel: boolean;
  readonly scale: ResolvedScale;
  readonly conv: ConvMode;
  /** Channels of `features()`. */
  readonly featureChannels: number;
  /** Variables keyed by a stable path (`node6/fusion/edge_weights`, `head/dense/kernel`, ...). */
  readonly variables: ReadonlyMap<string, Variable>;
  readonly trainableVariables: Variable[];
  /** The same variables as a record (what the engine's checkpoint functions take). */
  namedVariables(): Record<string, Variable>;
  /** Pooled features [B, C] (mean over space, time and level-3 nodes). */
  features(inputs: NetworkInputs, training?: boolean): Tensor2D;
  /** features [B, C] -> logits [B, classes]. */
  head(features: Tensor2D): Tensor2D;
  /** inputs -> logits [B, classes]. */
  apply(inputs: NetworkInputs, training?: boolean): Tensor2D;
  /** logits -> probabilities: sigmoid when multiLabel, else softmax. */
  probabilities(logits: Tensor2D): Tensor2D;
  /** Current weight of every edge of every multi-input node, for evolution's pruning. */
  connectionWeights(): ConnectionWeights[];
  dispose(): void;
}

type NodePart =
  | { kind: 'stem'; stem: Stem; type: StemType }
  | { kind: 'block'; fusion: Fusion; block: Block; inputs: number[] };

/**
 * Largest network createAssembleNet builds. AssembleNet-101 at full width has 54M parameters;
 * 150M float32 weights are 600 MB, about 1.8 GB with gradients and momentum.
 */
export const MAX_NETWORK_PARAMETERS = 150_000_000;
/** Largest class count and clip length a network is built for. */
export const MAX_NETWORK_CLASSES = 100_000;
export const MAX_NETWORK_FRAMES = 1024;

/**
 * Refuses, before any variable exists, a network whose parameter count passes
 * MAX_NETWORK_PARAMETERS or whose weights would not fit under the engine's memory limit; the
 * message says what to lower.
 */
export function checkNetworkSize(genome: Genome, options: NetworkOptions): void {
  const { total } = countParameters(genome, options);
  const width = options.widthMultiplier ?? 1;
  const advice = `lower the genome's filters or modulesPerLevel, or the width multiplier (now ${width})`;
  if (total > MAX_NETWORK_PARAMETERS) {
    throw new InputError(
      `model: expected at most ${MAX_NETWORK_PARAMETERS} parameters, got ${total} for genome ${genome.name}; ${advice}`,
    );
  }
  try {
    checkMemory(total * 4, `the ${total} weights of ${genome.name}`);
  } catch (error) {
    throw new InputError(`model: ${(error as Error).message}; ${advice}`);
  }
}

export function createAssembleNet(genome: Genome, options: NetworkOptions): AssembleNetwork {
  const { numClasses, frames } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > MAX_NETWORK_CLASSES) {
    throw new InputError(`model: expected numClasses 1..${MAX_NETWORK_CLASSES}, got ${numClasses}`);
  }
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_NETWORK_FRAMES)
    throw new InputError(`model: expected frames 1..${MAX_NETWORK_FRAMES}, got ${frames}`);
  const scale = resolveScale(genome, options);
  checkNetworkSize(genome, options);
  const conv = options.conv ?? '2plus1d';
  const norm: BatchNormOptions = {
    momentum: options.norm?.momentum ?? 0.99,
    epsilon: options.norm?.epsilon ?? 1e-5,
  };
  const store = new ParameterStore(
    options.scope ?? genome.name.replace(/[^\w-]/g, '_'),
    options.seed ?? 1,
  );
  const ops = createConvOps(conv, frames);
  const plans = planChannels(genome, scale);
  const parts: NodePart[] = genome.nodes.map((node, index) => {
    const plan = plans[index];
    if (isStem(node)) {
      const stem = createStem(store, ops, `node${index}/stem`, {
        stemType: node.stem,
        stemInputChannels: plan.stemInput ?? 0,
        stemFilters: plan.outChannels,
        stemTemporalDilation: node.temporal,
        norm,
      });
      return { kind: 'stem', stem, type: node.stem };
    }
    const fusion = createFusion(store, ops, `node${index}/fusion`, {
      fusionKind: genome.fusion,
      fusionInputChannels: node.inputs.map((input) => plans[input].outChannels),
      fusionFrozenWeights: node.weights,
    });
    const block = createBlock(store, ops, `node${index}/block`, {
      blockInChannels: fusion.outChannels,
      blockFilters: plan.filters ?? 0,
      blockInterFilters: plan.interFilters ?? 0,
      blockModules: scale.modulesPerLevel[node.level],
      blockStride: node.stride,
      blockTemporalDilation: node.dilation,
      blockTemporalModules: scale.temporalModules,
      norm,
    });
    return { kind: 'block', fusion, block, inputs: node.inputs };
  });
  const outputNodes = genome.nodes.flatMap((node, index) =>
    !isStem(node) && node.level === 3 ? [index] : [],
  );
  const featureChannels = headInputChannels(genome, plans);
  const head = createHead(store, 'head', {
    headInChannels: featureChannels,
    headClasses: numClasses,
    headFrames: frames,
  });
  const stemTypes = [
    ...new Set(parts.flatMap((part) => (part.kind === 'stem' ? [part.type] : []))),
  ];

  const features = (inputs: NetworkInputs, training = false): Tensor2D =>
    tf.tidy(() => {
      checkInputs(inputs, stemTypes, frames, plans, genome);
      const outputs: Tensor4D[] = [];
      for (const part of parts) {
        if (part.kind === 'stem') {
          outputs.push(part.stem.apply(inputs[part.type] as Tensor4D, training));
        } else {
          const fused = part.fusion.apply(part.inputs.map((input) => outputs[input]));
          outputs.push(part.block.apply(fused, training));
        }
      }
      return head.pool(outputNodes.map((index) => outputs[index]));
    });

  const network: AssembleNetwork = {
    genome,
    numClasses,
    frames,
    multiLabel: options.multiLabel ?? false,
    scale,
    conv,
    featureChannels,
    variables: store.named,
    get trainableVariables() {
      return store.trainableVariables();
    },
    namedVariables: () => Object.fromEntries(store.named),
    features,
    head: (feats) => head.apply(feats),
    apply: (inputs, training = false) => tf.tidy(() => head.apply(features(inputs, training))),
    probabilities: (logits) =>
      tf.tidy(() => (network.multiLabel ? tf.sigmoid(logits) : tf.softmax(logits)) as Tensor2D),
    connectionWeights() {
      return parts.flatMap((part, node) => {
        if (part.kind !== 'block' || part.inputs.length < 2) return [];
        const tensor = part.fusion.edgeWeights();
        const weights = Array.from(tensor.dataSync());
        tensor.dispose();
        return [{ node, inputs: [...part.inputs], weights, frozen: part.fusion.frozen }];
      });
    },
    dispose: () => store.dispose(),
  };
  return network;
}

function checkInputs(
  inputs: NetworkInputs,
  stemTypes: StemType[],
  frames: number,
  plans: ReturnType<typeof planChannels>,
  genome: Genome,
): void {
  let reference: { type: StemType; shape: number[] } | undefined;
  for (const type of stemTypes) {
    const input = inputs[type];
    const index = genome.nodes.findIndex((node) => isStem(node) && node.stem === type);
    const channels = plans[index].stemInput;
    if (!input)
      throw new InputError(
        `model: expected a "${type}" input [B*${frames}, H, W, ${channels}], got none`,
      );
    const [batchFrames, height, width, c] = input.shape;
    if (input.rank !== 4 || c !== channels || batchFrames % frames !== 0) {
      throw new InputError(
        `model: expected "${type}" input [B*${frames}, H, W, ${channels}], got [${input.shape.join(',')}]`,
      );
    }
    if (
      reference &&
      (reference.shape[0] !== batchFrames ||
        reference.shape[1] !== height ||
        reference.shape[2] !== width)
    ) {
      throw new InputError(
        `model: expected "${type}" input to match "${reference.type}" in batch*frames, H, W [${reference.shape.slice(0, 3).join(',')}], got [${input.shape.slice(0, 3).join(',')}]`,
      );
    }
    reference ??= { type, shape: input.shape };
  }
}
