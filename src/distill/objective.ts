/**
 * What a student is trained to match, as one loss over the training loop's (output, labels):
 *
 *   logits 'hard': CE(labels)            logits 'kd': distillationLoss (alpha, temperature)
 *   + featureWeight * MSE(R f_s, f_t)    feature distillation (FitNets' regressor R; MARS / D3D:
 *                                        an RGB student's late features regress the features of
 *                                        a network that reads optical flow)
 *
 * With feature distillation the trained model is the student plus a linear regressor from its
 * pooled features [B, C_s] to the teacher's [B, F]; its output is [logits | R f_s] ([B, C + F]).
 * The regressor is trained with the student but is not one of its `variables`: a saved student
 * checkpoint is the plain student. Labels are packed as kdTargets.ts describes.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type Variable } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { batchAccuracy, classificationLoss, type Scalar } from '../train/losses.ts';
import { distillationLoss } from './losses.ts';
import { splitKdTargets, type KdTargetSpec } from './kdTargets.ts';

export interface StudentObjective {
  /** 'hard': the labels only; 'kd': Hinton KD from the teacher's logits. */
  logits: 'hard' | 'kd';
  /** Weight of the feature regression term (0: no feature distillation). */
  featureWeight: number;
  /** Hard-label weight of the KD loss (logits 'kd'). */
  alpha: number;
  temperature: number;
}

/** Mean squared error over batch and feature dimensions. */
export function featureRegressionLoss(predicted: Tensor2D, target: Tensor2D): Scalar {
  if (
    predicted.rank !== 2 ||
    target.rank !== 2 ||
    predicted.shape[0] !== target.shape[0] ||
    predicted.shape[1] !== target.shape[1]
  )
    throw new InputError(
      `distill: feature regression expected two [batch, features] tensors of one shape, got [${predicted.shape}] and [${target.shape}]`,
    );
  return tf.tidy(() => tf.mean(tf.squaredDifference(predicted, target)) as Scalar);
}

/** A network with pooled features and a head (students and AssembleNets both are). */
export interface FeatureNetwork {
  readonly featureChannels: number;
  readonly trainableVariables: readonly Variable[];
  readonly variables: ReadonlyMap<string, Variable>;
  features(inputs: Record<string, Tensor4D>, training?: boolean): Tensor2D;
  head(features: Tensor2D): Tensor2D;
}

export interface RegressedModel {
  readonly trainableVariables: Variable[];
  readonly variables: ReadonlyMap<string, Variable>;
  /** [logits | R features] during training and inference. */
  apply(inputs: Record<string, Tensor4D>, training: boolean): Tensor2D;
  /** Disposes the regressor only (the student stays). */
  dispose(): void;
}

/**
 * The student with a linear regressor [C_s -> width] on its pooled features (initialised
 * N(0, 1/C_s), seeded; the bias at zero).
 */
export function withFeatureRegressor(
  network: FeatureNetwork,
  width: number,
  options: { seed?: number; name?: string } = {},
): RegressedModel {
  if (!Number.isInteger(width) || width < 1)
    throw new InputError(`distill: expected a feature width >= 1, got ${width}`);
  const name = options.name ?? 'feature_regressor';
  const inputs = network.featureChannels;
  const kernel = tf.variable(
    tf.randomNormal([inputs, width], 0, 1 / Math.sqrt(inputs), 'float32', options.seed ?? 1),
    true,
    `${name}/kernel`,
  );
  const bias = tf.variable(tf.zeros([width]), true, `${name}/bias`);
  return {
    get trainableVariables() {
      return [...network.trainableVariables, kernel, bias];
    },
    variables: network.variables,
    apply: (x, training) =>
      tf.tidy(() => {
        const features = network.features(x, training);
        const logits = network.head(features);
        return tf.concat([logits, tf.add(tf.matMul(features, kernel), bias)], 1) as Tensor2D;
      }),
    dispose: () => {
      kernel.dispose();
      bias.dispose();
    },
  };
}

/** The loss and the step metric (top-1 / multi-label accuracy on the logits) of an objective. */
export function objectiveLoss(
  objective: StudentObjective,
  spec: KdTargetSpec,
): {
  loss: (output: Tensor2D, labels: Tensor) => Scalar;
  metric: (output: Tensor2D, labels: Tensor) => Scalar;
} {
  const features = spec.featureWidth ?? 0;
  if (objective.featureWeight > 0 && features === 0)
    throw new InputError(
      'distill: feature distillation needs teacher features in the labels (featureWidth > 0)',
    );
  if (!(objective.featureWeight >= 0))
    throw new InputError(`distill: expected a feature weight >= 0, got ${objective.featureWeight}`);
  const hardLoss = classificationLoss(spec.multiLabel);
  const logitsOf = (output: Tensor2D): Tensor2D =>
    features > 0 && objective.featureWeight > 0
      ? (tf.slice(output, [0, 0], [output.shape[0], spec.numClasses]) as Tensor2D)
      : output;
  return {
    loss: (output, labels) =>
      tf.tidy(() => {
        const targets = splitKdTargets(labels, spec);
        const logits = logitsOf(output);
        let loss =
          objective.logits === 'kd'
            ? distillationLoss(logits, targets.teacherLogits, targets.hard, {
                alpha: objective.alpha,
                temperature: objective.temperature,
                multiLabel: spec.multiLabel,
              })
            : hardLoss(logits, targets.hard);
        if (objective.featureWeight > 0) {
          const predicted = tf.slice(
            output,
            [0, spec.numClasses],
            [output.shape[0], features],
          ) as Tensor2D;
          loss = tf.add(
            loss,
            tf.mul(
              featureRegressionLoss(predicted, targets.teacherFeatures!),
              objective.featureWeight,
            ),
          ) as Scalar;
        }
        return loss;
      }),
    metric: (output, labels) =>
      tf.tidy(() => batchAccuracy(logitsOf(output), splitKdTargets(labels, spec).hard)),
  };
}
