/**
 * Knowledge-distillation losses (Hinton et al. 2015), from logits, mean over the batch.
 *
 * Conventions (alpha weighs the HARD label loss):
 *   softmax:  loss = alpha * CE(labels, softmax(s)) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T))
 *   sigmoid:  loss = alpha * BCE(labels, sigmoid(s)) + (1 - alpha) * T^2 * BCE(sigmoid(t/T), sigmoid(s/T))
 * with s the student's and t the teacher's logits. The T^2 factor keeps the soft term's gradient
 * magnitude independent of T. alpha = 1 is plain training, alpha = 0 pure distillation.
 * The sigmoid (multi-label) soft term is the mean over batch and classes, as the hard
 * `sigmoidCrossEntropy` default; the softmax KL is summed over classes, mean over the batch.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { sigmoidCrossEntropy, softmaxCrossEntropy, type Scalar } from '../train/losses.ts';

/** The KD defaults (Hinton et al.: alpha on the hard labels, temperature 4), defined once here. */
export const KD_DEFAULTS = Object.freeze({ alpha: 0.5, temperature: 4 } as const);

export interface DistillationOptions {
  /** Softening temperature T > 0 (default KD_DEFAULTS.temperature). */
  temperature?: number;
  /** Weight of the hard-label loss in [0, 1] (default KD_DEFAULTS.alpha); the soft term gets 1 - alpha. */
  alpha?: number;
  /** Sigmoid multi-label KD (Charades) instead of softmax KD. */
  multiLabel?: boolean;
}

function checkPair(student: Tensor, teacher: Tensor, op: string): void {
  if (
    student.rank !== 2 ||
    teacher.rank !== 2 ||
    student.shape[0] !== teacher.shape[0] ||
    student.shape[1] !== teacher.shape[1]
  ) {
    throw new InputError(
      `distill: ${op} expected student and teacher logits of one shape [batch, classes], got [${student.shape}] and [${teacher.shape}]`,
    );
  }
}

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new InputError(`distill: expected temperature > 0, got ${temperature}`);
  }
}

/**
 * T^2 * mean_b KL(softmax(t/T) || softmax(s/T)) = T^2 * mean_b sum_c p_t (log p_t - log p_s).
 * @param studentLogits [batch, classes]
 * @param teacherLogits [batch, classes] (treated as constants)
 */
export function softmaxDistillation(
  studentLogits: Tensor2D,
  teacherLogits: Tensor2D,
  temperature: number = KD_DEFAULTS.temperature,
): Scalar {
  checkPair(studentLogits, teacherLogits, 'softmaxDistillation');
  checkTemperature(temperature);
  return tf.tidy(() => {
    const teacherLog = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const studentLog = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(teacherLog), tf.sub(teacherLog, studentLog)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as Scalar;
  });
}

/**
 * T^2 * mean_{b,c} BCE(target = sigmoid(t/T), prediction = sigmoid(s/T)), in the stable form
 * max(x,0) - x z + log(1 + exp(-|x|)) with x = s/T.
 * @param studentLogits [batch, classes]
 * @param teacherLogits [batch, classes] (treated as constants)
 */
export function sigmoidDistillation(
  studentLogits: Tensor2D,
  teacherLogits: Tensor2D,
  temperature: number = KD_DEFAULTS.temperature,
): Scalar {
  checkPair(studentLogits, teacherLogits, 'sigmoidDistillation');
  checkTemperature(temperature);
  return tf.tidy(() => {
    const target = tf.sigmoid(tf.div(teacherLogits, temperature));
    const x = tf.div(studentLogits, temperature);
    const elementwise = tf
      .relu(x)
      .sub(x.mul(target))
      .add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.mul(tf.mean(elementwise), temperature * temperature) as Scalar;
  });
}

/**
 * The combined KD loss (see the module comment for the convention).
 * @param studentLogits [batch, classes]
 * @param teacherLogits [batch, classes]
 * @param labels [batch] class indices (softmax) or [batch, classes] multi-hot (multiLabel)
 */
export function distillationLoss(
  studentLogits: Tensor2D,
  teacherLogits: Tensor2D,
  labels: Tensor,
  options: DistillationOptions = {},
): Scalar {
  const alpha = options.alpha ?? KD_DEFAULTS.alpha;
  const temperature = options.temperature ?? KD_DEFAULTS.temperature;
  if (!(alpha >= 0 && alpha <= 1))
    throw new InputError(`distill: expected alpha in [0, 1], got ${alpha}`);
  return tf.tidy(() => {
    const soft = options.multiLabel
      ? sigmoidDistillation(studentLogits, teacherLogits, temperature)
      : softmaxDistillation(studentLogits, teacherLogits, temperature);
    if (alpha === 0) return soft;
    const hard = options.multiLabel
      ? sigmoidCrossEntropy(studentLogits, labels)
      : softmaxCrossEntropy(studentLogits, labels);
    return tf.add(tf.mul(hard, alpha), tf.mul(soft, 1 - alpha)) as Scalar;
  });
}
