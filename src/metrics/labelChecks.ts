/**
 * Guard against a known evaluation trap: mAP (and multi-label KD) on a single-label set.
 * With exactly one positive per video, mAP measures something else than the multi-label
 * metric it is reported as, and some tools have reported an mAP of 1.0 on such sets. Use
 * top-1/top-5 and mean class accuracy there.
 */
import { InputError } from '../errors.ts';
import type { TargetMatrix } from './scoreMatrix.ts';

export interface LabelCardinality {
  /** True when at least one item has two or more labels. */
  multiLabel: boolean;
  numItems: number;
  /** Items with no label at all (normal on Charades). */
  itemsWithoutLabels: number;
  /** Items with exactly one label. */
  itemsWithOneLabel: number;
  maxLabelsPerItem: number;
  meanLabelsPerItem: number;
  /** Why mAP should not be computed, when it should not. */
  problem?: string;
}

/** Counts labels per item and says whether mAP is meaningful on these targets. */
export function checkMultiLabel(targets: TargetMatrix): LabelCardinality {
  const { numItems, numClasses, data } = targets;
  let itemsWithoutLabels = 0;
  let itemsWithOneLabel = 0;
  let maxLabelsPerItem = 0;
  let totalLabels = 0;
  for (let item = 0; item < numItems; item++) {
    let count = 0;
    for (let c = 0; c < numClasses; c++) if (data[item * numClasses + c]) count++;
    if (count === 0) itemsWithoutLabels++;
    if (count === 1) itemsWithOneLabel++;
    maxLabelsPerItem = Math.max(maxLabelsPerItem, count);
    totalLabels += count;
  }
  const report: LabelCardinality = {
    multiLabel: maxLabelsPerItem > 1,
    numItems,
    itemsWithoutLabels,
    itemsWithOneLabel,
    maxLabelsPerItem,
    meanLabelsPerItem: numItems === 0 ? 0 : totalLabels / numItems,
  };
  if (!report.multiLabel) {
    report.problem =
      `metrics: expected multi-label targets for mAP, got a single-label set ` +
      `(${itemsWithOneLabel} of ${numItems} items have one label, none has more). ` +
      `mAP on single-label data is a known trap (tools have reported 1.0); report top-1/top-5 ` +
      `and mean class accuracy instead, or pass allowSingleLabel to compute it anyway`;
  }
  return report;
}

/** Throws an InputError with `checkMultiLabel`'s explanation when the set is single-label. */
export function assertMultiLabel(targets: TargetMatrix): LabelCardinality {
  const report = checkMultiLabel(targets);
  if (report.problem) throw new InputError(report.problem);
  return report;
}
