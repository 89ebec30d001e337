/**
 * Student architecture -> network with the interface of AssembleNetwork (features, head, apply,
 * probabilities, variables by stable path, trainableVariables, dispose), so the training loop,
 * checkpoints, evaluation and classification treat students as ordinary networks.
 *
 *   {rgb [B*T,H,W,3], flow [B*T,H,W,2]} -> stem per stream -> sum | concat
 *     -> stages of inverted-bottleneck (2+1)D blocks -> [1x1 conv -> BN -> act]
 *     -> mean over H, W, T = features [B, C] -> dense = logits [B, classes]
 */
import { tf, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import {
  createBatchNorm,
  ParameterStore,
  varianceScaling,
  type BatchNormOptions,
} from '../model/layers.ts';
import type { ConnectionWeights, NetworkInputs } from '../model/network.ts';
import { activate, createStudentBlock, createStudentStem } from './blocks.ts';
import {
  planStudentBlocks,
  STREAM_CHANNELS,
  studentFeatureChannels,
  studentStreams,
  type StudentArch,
  type StudentStream,
} from './student.ts';

export interface StudentOptions {
  numClasses: number;
  multiLabel?: boolean;
  /** Seed of the variable initialisers. */
  seed?: number;
  norm?: Partial<BatchNormOptions>;
  /** Prefix of the variables' engine names. */
  scope?: string;
}

export interface StudentNetwork {
  readonly kind: 'student';
  readonly arch: StudentArch;
  readonly numClasses: number;
  readonly frames: number;
  readonly multiLabel: boolean;
  readonly featureChannels: number;
  readonly variables: ReadonlyMap<string, Variable>;
  readonly trainableVariables: Variable[];
  /** Pooled features [B, C]. */
  features(inputs: NetworkInputs, training?: boolean): Tensor2D;
  /** features [B, C] -> logits [B, classes]. */
  head(features: Tensor2D): Tensor2D;
  /** inputs -> logits [B, classes]. */
  apply(inputs: NetworkInputs, training?: boolean): Tensor2D;
  /** sigmoid when multiLabel, else softmax. */
  probabilities(logits: Tensor2D): Tensor2D;
  /** Students have no learned connection weights: always []. */
  connectionWeights(): ConnectionWeights[];
  dispose(): void;
}

export function createStudent(arch: StudentArch, options: StudentOptions): StudentNetwork {
  const { numClasses } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new InputError(`student: expected numClasses >= 1, got ${numClasses}`);
  const norm: BatchNormOptions = {
    momentum: options.norm?.momentum ?? 0.99,
    epsilon: options.norm?.epsilon ?? 1e-5,
  };
  const store = new ParameterStore(
    options.scope ?? arch.name.replace(/[^\w-]/g, '_'),
    options.seed ?? 1,
  );
  const frames = arch.frames;
  const streams = studentStreams(arch);
  const stems = streams.map((stream) =>
    createStudentStem(store, `stem_${stream}`, {
      stemInputChannels: STREAM_CHANNELS[stream],
      stemFilters: arch.stem.filters,
      stemKernel: arch.stem.kernel,
      stemActivation: arch.stem.activation,
      norm,
    }),
  );
  const plans = planStudentBlocks(arch);
  const blocks = plans.map((plan) =>
    createStudentBlock(store, `stage${plan.stage}/block${plan.index}`, plan, frames, norm),
  );
  const lastChannels = plans[plans.length - 1].outChannels;
  const lastActivation = arch.stages[arch.stages.length - 1].activation;
  const headConv =
    arch.headFilters > 0
      ? {
          filter: store.variable(
            'head/conv/filter',
            [1, 1, lastChannels, arch.headFilters],
            varianceScaling(lastChannels),
          ),
          norm: createBatchNorm(store, 'head/conv/bn', arch.headFilters, norm),
        }
      : undefined;
  const featureChannels = studentFeatureChannels(arch);
  const denseKernel = store.variable('head/dense/kernel', [featureChannels, numClasses], {
    kind: 'normal',
    stddev: 0.01,
  });
  const denseBias = store.variable('head/dense/bias', [numClasses], { kind: 'zeros' });

  const checkInputs = (inputs: NetworkInputs): Tensor4D[] =>
    streams.map((stream: StudentStream) => {
      const input = inputs[stream];
      const channels = STREAM_CHANNELS[stream];
      if (
        !input ||
        input.rank !== 4 ||
        input.shape[3] !== channels ||
        input.shape[0] % frames !== 0
      ) {
        throw new InputError(
          `student: expected a "${stream}" input [B*${frames}, H, W, ${channels}], got ${input ? `[${input.shape.join(',')}]` : 'none'}`,
        );
      }
      return input;
    });

  const features = (inputs: NetworkInputs, training = false): Tensor2D =>
    tf.tidy(() => {
      const streamInputs = checkInputs(inputs);
      const stemOutputs = stems.map((stem, i) => stem.apply(streamInputs[i], training));
      let x: Tensor4D =
        stemOutputs.length === 1
          ? stemOutputs[0]
          : arch.fusion === 'concat'
            ? (tf.concat(stemOutputs, 3) as Tensor4D)
            : (tf.addN(stemOutputs) as Tensor4D);
      for (const block of blocks) x = block.apply(x, training);
      if (headConv)
        x = activate(
          headConv.norm.apply(tf.conv2d(x, headConv.filter as Tensor4D, 1, 'valid'), training),
          lastActivation,
        );
      const [bt, h, w, c] = x.shape;
      return tf.mean(tf.reshape(x, [bt / frames, frames * h * w, c]), 1) as Tensor2D;
    });

  const head = (feats: Tensor2D): Tensor2D => {
    if (feats.rank !== 2 || feats.shape[1] !== featureChannels) {
      throw new InputError(
        `student: expected features [B, ${featureChannels}], got [${feats.shape.join(',')}]`,
      );
    }
    return tf.tidy(() => tf.add(tf.matMul(feats, denseKernel), denseBias) as Tensor2D);
  };

  const multiLabel = options.multiLabel ?? false;
  return {
    kind: 'student',
    arch,
    numClasses,
    frames,
    multiLabel,
    featureChannels,
    variables: store.named,
    get trainableVariables() {
      return store.trainableVariables();
    },
    features,
    head,
    apply: (inputs, training = false) => tf.tidy(() => head(features(inputs, training))),
    probabilities: (logits) =>
      tf.tidy(() => (multiLabel ? tf.sigmoid(logits) : tf.softmax(logits)) as Tensor2D),
    connectionWeights: () => [],
    dispose: () => store.dispose(),
  };
}
