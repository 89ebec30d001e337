/**
 * Single-label metrics (Kinetics-style): top-k accuracy, confusion matrix, per-class recall and
 * mean class accuracy.
 *
 * Ties: among equal scores the class with the HIGHER index ranks first, as in scikit-learn's
 * `top_k_accuracy_score` (stable ascending sort, reversed). The same rule picks the top-1
 * prediction everywhere here, so top-1 accuracy, the confusion matrix and mean class accuracy
 * agree with each other.
 */
import { InputError } from '../errors.ts';
import { checkLabels, type ScoreMatrix } from './scoreMatrix.ts';

/** Rank of `label` within one item's scores: 0 = ranked first (ties: higher index first). */
function rankOf(scores: ScoreMatrix, item: number, label: number): number {
  const row = item * scores.numClasses;
  const own = scores.data[row + label]!;
  let rank = 0;
  for (let c = 0; c < scores.numClasses; c++) {
    const s = scores.data[row + c]!;
    if (s > own || (s === own && c > label)) rank++;
  }
  return rank;
}

/** The top-1 class of every item `[numItems]` (ties: the higher class index). */
export function predictTop1(scores: ScoreMatrix): Int32Array {
  const predicted = new Int32Array(scores.numItems);
  for (let item = 0; item < scores.numItems; item++) {
    const row = item * scores.numClasses;
    let best = 0;
    for (let c = 1; c < scores.numClasses; c++) {
      if (scores.data[row + c]! >= scores.data[row + best]!) best = c;
    }
    predicted[item] = best;
  }
  return predicted;
}

/** Fraction of items whose label is among the k best-scored classes. */
export function topKAccuracy(scores: ScoreMatrix, labels: ArrayLike<number>, k: number): number {
  checkLabels(scores, labels);
  if (!Number.isInteger(k) || k < 1) {
    throw new InputError(`metrics: expected k to be a positive integer, got ${k}`);
  }
  if (scores.numItems === 0) throw new InputError('metrics: expected at least one item, got 0');
  let hits = 0;
  for (let item = 0; item < scores.numItems; item++) {
    if (rankOf(scores, item, labels[item]!) < k) hits++;
  }
  return hits / scores.numItems;
}

export function top1Accuracy(scores: ScoreMatrix, labels: ArrayLike<number>): number {
  return topKAccuracy(scores, labels, 1);
}

/** Counts `[numClasses, numClasses]`, row = true class, column = predicted class. */
export interface ConfusionMatrix {
  counts: Uint32Array;
  numClasses: number;
}

/** Confusion matrix of the top-1 predictions. */
export function confusionMatrix(scores: ScoreMatrix, labels: ArrayLike<number>): ConfusionMatrix {
  checkLabels(scores, labels);
  const { numClasses } = scores;
  const counts = new Uint32Array(numClasses * numClasses);
  const predicted = predictTop1(scores);
  for (let item = 0; item < scores.numItems; item++) {
    counts[labels[item]! * numClasses + predicted[item]!]!++;
  }
  return { counts, numClasses };
}

/**
 * Recall of every class `[numClasses]`: correct top-1 predictions / items of that class;
 * NaN for a class with no items (its recall is undefined, not 0).
 */
export function perClassRecall(matrix: ConfusionMatrix): Float64Array {
  const { counts, numClasses } = matrix;
  const recall = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    let total = 0;
    for (let p = 0; p < numClasses; p++) total += counts[c * numClasses + p]!;
    recall[c] = total === 0 ? Number.NaN : counts[c * numClasses + c]! / total;
  }
  return recall;
}

export interface MeanClassAccuracy {
  /** Mean of per-class recall over the classes that have at least one item. */
  value: number;
  /** Recall per class `[numClasses]`, NaN where the class has no items. */
  perClass: Float64Array;
  /** How many classes entered the mean. */
  classesUsed: number;
}

/**
 * Mean class accuracy (Kinetics' "mean class accuracy", scikit-learn's
 * `balanced_accuracy_score`): the mean over classes of per-class recall. Classes with no items
 * in `labels` are EXCLUDED from the mean (their recall is undefined); counting them as 0 would
 * punish a model for the composition of the evaluation subset.
 */
export function meanClassAccuracy(
  scores: ScoreMatrix,
  labels: ArrayLike<number>,
): MeanClassAccuracy {
  const perClass = perClassRecall(confusionMatrix(scores, labels));
  let sum = 0;
  let classesUsed = 0;
  for (const recall of perClass) {
    if (Number.isNaN(recall)) continue;
    sum += recall;
    classesUsed++;
  }
  if (classesUsed === 0) throw new InputError('metrics: expected at least one item, got 0');
  return { value: sum / classesUsed, perClass, classesUsed };
}
