/**
 * Average precision and mAP with the Charades conventions:
 * - AP of one class is computed over videos (one score and one 0/1 target per video);
 * - AP = sum over score thresholds of (R_n - R_{n-1}) * P_n, where the thresholds are the
 *   DISTINCT scores from high to low, so tied videos enter together (scikit-learn's
 *   `average_precision_score`; no interpolation);
 * - mAP = mean of AP over the classes with at least one positive video; classes without
 *   positives have no defined AP and are left out (scikit-learn would count them as 0).
 */
import { InputError } from '../errors.ts';
import {
  checkSameShape,
  type NumericArray,
  type ScoreMatrix,
  type TargetMatrix,
} from './scoreMatrix.ts';
import { assertMultiLabel } from './labelChecks.ts';

/**
 * AP of one class. `scores[i]` and `targets[i]` belong to video i. NaN when no target is
 * positive (AP is undefined there).
 */
export function averagePrecision(scores: NumericArray, targets: ArrayLike<number>): number {
  if (scores.length !== targets.length) {
    throw new InputError(
      `metrics: expected as many targets as scores (${scores.length}), got ${targets.length}`,
    );
  }
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]) positives++;
  if (positives === 0) return Number.NaN;

  let ap = 0;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let i = 0;
  while (i < order.length) {
    const threshold = scores[order[i]!]!;
    // every video tied at this score crosses the threshold together
    while (i < order.length && scores[order[i]!] === threshold) {
      if (targets[order[i]!]) truePositives++;
      seen++;
      i++;
    }
    const recall = truePositives / positives;
    if (recall !== previousRecall) {
      ap += (recall - previousRecall) * (truePositives / seen);
      previousRecall = recall;
    }
  }
  return ap;
}

export interface MeanAveragePrecision {
  /** Mean AP over the classes with at least one positive. */
  value: number;
  /** AP per class `[numClasses]`, NaN for classes without positives. */
  perClass: Float64Array;
  /** How many classes entered the mean. */
  classesUsed: number;
}

export interface MeanAveragePrecisionOptions {
  /**
   * Compute even when every video has exactly one label. Off by default: mAP on single-label
   * data is a known trap (see `checkMultiLabel`).
   */
  allowSingleLabel?: boolean;
}

/** AP of every class over videos: scores and targets `[numVideos, numClasses]`. */
export function perClassAveragePrecision(scores: ScoreMatrix, targets: TargetMatrix): Float64Array {
  checkSameShape(scores, targets);
  const { numItems, numClasses } = scores;
  const perClass = new Float64Array(numClasses);
  const classScores = new Float64Array(numItems);
  const classTargets = new Uint8Array(numItems);
  for (let c = 0; c < numClasses; c++) {
    for (let v = 0; v < numItems; v++) {
      classScores[v] = scores.data[v * numClasses + c]!;
      classTargets[v] = targets.data[v * numClasses + c] ? 1 : 0;
    }
    perClass[c] = averagePrecision(classScores, classTargets);
  }
  return perClass;
}

/** Charades mAP: per-class AP over videos, mean over classes with at least one positive. */
export function meanAveragePrecision(
  scores: ScoreMatrix,
  targets: TargetMatrix,
  options: MeanAveragePrecisionOptions = {},
): MeanAveragePrecision {
  checkSameShape(scores, targets);
  if (!options.allowSingleLabel) assertMultiLabel(targets);
  const perClass = perClassAveragePrecision(scores, targets);
  let sum = 0;
  let classesUsed = 0;
  for (const ap of perClass) {
    if (Number.isNaN(ap)) continue;
    sum += ap;
    classesUsed++;
  }
  if (classesUsed === 0) {
    throw new InputError(
      'metrics: expected at least one class with a positive video for mAP, got none',
    );
  }
  return { value: sum / classesUsed, perClass, classesUsed };
}
