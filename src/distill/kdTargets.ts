/**
 * KD targets packed into one float "labels" tensor, so a KD batch goes through the ordinary
 * training loop (which hands the loss one labels tensor per batch):
 *
 *   single-label: [B, 1 + C (+ F)]  class index, the teacher's C logits (, its F features)
 *   multi-label:  [B, 2C (+ F)]     multi-hot labels, the teacher's C logits (, its F features)
 *
 * `featureWidth` F is 0 without feature distillation.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

export interface KdTargetSpec {
  numClasses: number;
  multiLabel: boolean;
  /** Width of the teacher features packed after the logits (default 0: none). */
  featureWidth?: number;
}

export interface KdTargets {
  /** [B] int32 class indices, or [B, C] multi-hot. */
  hard: Tensor;
  /** [B, C] */
  teacherLogits: Tensor2D;
  /** [B, F] when the spec has features. */
  teacherFeatures?: Tensor2D;
}

const hardWidth = (spec: KdTargetSpec): number => (spec.multiLabel ? spec.numClasses : 1);

/** Width of a packed KD labels tensor. */
export function kdTargetWidth(spec: KdTargetSpec): number {
  return hardWidth(spec) + spec.numClasses + (spec.featureWidth ?? 0);
}

/**
 * Packs hard labels ([B] indices or [B, C] multi-hot), teacher logits [B, C] and optionally
 * teacher features [B, F] into one float32 tensor (module comment).
 */
export function packKdTargets(
  hard: Tensor,
  teacherLogits: Tensor2D,
  spec: KdTargetSpec,
  teacherFeatures?: Tensor2D,
): Tensor2D {
  const batch = teacherLogits.shape[0];
  const width = spec.featureWidth ?? 0;
  const hardOk = spec.multiLabel
    ? hard.rank === 2 && hard.shape[0] === batch && hard.shape[1] === spec.numClasses
    : hard.rank === 1 && hard.shape[0] === batch;
  if (!hardOk)
    throw new InputError(
      `distill: expected hard labels ${spec.multiLabel ? `[${batch}, ${spec.numClasses}]` : `[${batch}]`}, got [${hard.shape}]`,
    );
  if (teacherLogits.rank !== 2 || teacherLogits.shape[1] !== spec.numClasses)
    throw new InputError(
      `distill: expected teacher logits [B, ${spec.numClasses}], got [${teacherLogits.shape}]`,
    );
  if (width > 0 !== (teacherFeatures !== undefined))
    throw new InputError(
      `distill: expected teacher features exactly when featureWidth > 0 (featureWidth ${width}, features ${teacherFeatures ? 'given' : 'missing'})`,
    );
  if (teacherFeatures && (teacherFeatures.shape[0] !== batch || teacherFeatures.shape[1] !== width))
    throw new InputError(
      `distill: expected teacher features [${batch}, ${width}], got [${teacherFeatures.shape}]`,
    );
  return tf.tidy(() => {
    const hard2d = spec.multiLabel ? hard : tf.reshape(hard, [batch, 1]);
    const parts = [tf.cast(hard2d, 'float32'), teacherLogits];
    if (teacherFeatures) parts.push(teacherFeatures);
    return tf.concat(parts, 1) as Tensor2D;
  });
}

/** Splits a packed KD labels tensor back into its parts (the inverse of `packKdTargets`). */
export function splitKdTargets(labels: Tensor, spec: KdTargetSpec): KdTargets {
  const width = kdTargetWidth(spec);
  if (labels.rank !== 2 || labels.shape[1] !== width)
    throw new InputError(`distill: expected KD labels [B, ${width}], got [${labels.shape}]`);
  const batch = labels.shape[0] as number;
  const hw = hardWidth(spec);
  const hardPart = tf.slice(labels, [0, 0], [batch, hw]);
  const hard = spec.multiLabel ? hardPart : tf.cast(tf.reshape(hardPart, [batch]), 'int32');
  const teacherLogits = tf.slice(labels, [0, hw], [batch, spec.numClasses]) as Tensor2D;
  const features = spec.featureWidth ?? 0;
  return features > 0
    ? {
        hard,
        teacherLogits,
        teacherFeatures: tf.slice(labels, [0, hw + spec.numClasses], [batch, features]) as Tensor2D,
      }
    : { hard, teacherLogits };
}
