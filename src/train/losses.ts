/**
 * Classification losses computed from logits (never from probabilities) for stability.
 * Both return the mean over the batch as a scalar.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

/** A rank-0 tensor. */
export type Scalar = tf.Scalar;

/** A loss: logits [batch, classes] and labels -> scalar. */
export type LossFn = (logits: Tensor2D, labels: Tensor) => Scalar;

export interface SoftmaxLossOptions {
  /** Target = (1 - e) * one-hot + e / classes (Szegedy et al. 2016). Default 0. */
  labelSmoothing?: number;
}

function checkSmoothing(value: number): void {
  if (!(value >= 0 && value < 1)) {
    throw new InputError(`losses: expected labelSmoothing in [0, 1), got ${value}`);
  }
}

function checkLogits(logits: Tensor, name: string): void {
  if (logits.rank !== 2) {
    throw new InputError(
      `losses: ${name} expected logits of rank 2 [batch, classes], got shape [${logits.shape}]`,
    );
  }
}

/**
 * Softmax cross-entropy with integer class labels.
 *
 *   loss = mean_b( -sum_c target[b,c] * log_softmax(logits)[b,c] )
 *
 * @param logits [batch, classes]
 * @param labels [batch] int32 class indices
 */
export function softmaxCrossEntropy(
  logits: Tensor2D,
  labels: Tensor,
  options: SoftmaxLossOptions = {},
): Scalar {
  const smoothing = options.labelSmoothing ?? 0;
  checkSmoothing(smoothing);
  checkLogits(logits, 'softmaxCrossEntropy');
  const [batch, classes] = logits.shape;
  if (labels.rank !== 1 || labels.shape[0] !== batch) {
    throw new InputError(
      `losses: softmaxCrossEntropy expected labels [${batch}] (class indices), got shape [${labels.shape}]`,
    );
  }
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    let target: Tensor = tf.oneHot(tf.cast(labels, 'int32'), classes).toFloat();
    if (smoothing > 0) target = target.mul(1 - smoothing).add(smoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbs), 1))) as Scalar;
  });
}

export interface SigmoidLossOptions {
  /** Target = z * (1 - e) + e / 2 (the Keras binary convention). Default 0. */
  labelSmoothing?: number;
  /**
   * `mean`: mean over batch and classes (Keras `binary_crossentropy`, the default);
   * `sumClasses`: sum over classes, mean over the batch.
   */
  reduction?: 'mean' | 'sumClasses';
}

/**
 * Sigmoid binary cross-entropy for multi-label targets, from logits, in the stable form
 *
 *   l(x, z) = max(x, 0) - x * z + log(1 + exp(-|x|))
 *
 * @param logits [batch, classes]
 * @param targets [batch, classes] in [0, 1] (multi-hot)
 */
export function sigmoidCrossEntropy(
  logits: Tensor2D,
  targets: Tensor,
  options: SigmoidLossOptions = {},
): Scalar {
  const smoothing = options.labelSmoothing ?? 0;
  checkSmoothing(smoothing);
  checkLogits(logits, 'sigmoidCrossEntropy');
  if (
    targets.rank !== 2 ||
    targets.shape[0] !== logits.shape[0] ||
    targets.shape[1] !== logits.shape[1]
  ) {
    throw new InputError(
      `losses: sigmoidCrossEntropy expected targets [${logits.shape}] (multi-hot), got shape [${targets.shape}]`,
    );
  }
  return tf.tidy(() => {
    let z: Tensor = tf.cast(targets, 'float32');
    if (smoothing > 0) z = z.mul(1 - smoothing).add(smoothing / 2);
    const elementwise = tf
      .relu(logits)
      .sub(logits.mul(z))
      .add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    if (options.reduction === 'sumClasses') return tf.mean(tf.sum(elementwise, 1)) as Scalar;
    return tf.mean(elementwise) as Scalar;
  });
}

/** Picks the loss for a dataset: `multiLabel` -> sigmoid BCE, else softmax CE. */
export function classificationLoss(
  multiLabel: boolean,
  options: SoftmaxLossOptions & SigmoidLossOptions = {},
): LossFn {
  return multiLabel
    ? (logits, labels) => sigmoidCrossEntropy(logits, labels, options)
    : (logits, labels) => softmaxCrossEntropy(logits, labels, options);
}

/**
 * Fraction of rows whose arg-max equals the integer label (single-label), a cheap per-step
 * metric. For multi-hot labels it counts the arg-max as right when that class is positive.
 *
 * @param logits [batch, classes]
 * @param labels [batch] int32 or [batch, classes] multi-hot
 */
export function batchAccuracy(logits: Tensor2D, labels: Tensor): Scalar {
  return tf.tidy(() => {
    const predicted = tf.argMax(logits, 1);
    if (labels.rank === 1)
      return tf.mean(tf.equal(predicted, tf.cast(labels, 'int32')).toFloat()) as Scalar;
    const hit = tf.sum(
      tf.mul(tf.oneHot(predicted, logits.shape[1]).toFloat(), tf.cast(labels, 'float32')),
      1,
    );
    return tf.mean(tf.greater(hit, 0).toFloat()) as Scalar;
  });
}
