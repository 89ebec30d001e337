/**
 * Metrics of a set of scored videos, with the field's conventions: single-label sets get
 * top-1, top-5 and mean class accuracy; multi-label (Charades-style) sets get mAP over classes
 * with at least one positive. Shared by `eval`, `score` and the pipeline summary.
 */
// the modules, not src/index.ts: `score` imports this file and must not load tfjs
import { InputError } from '../../src/errors.ts';
import {
  meanAveragePrecision,
  meanClassAccuracy,
  multiHot,
  scoreMatrixFromRows,
  top1Accuracy,
  topKAccuracy,
} from '../../src/metrics/index.ts';

export interface ScoredVideo {
  id: string;
  /** One score per class (probabilities, logits or averaged views). */
  scores: number[];
  /** Ground-truth class indices. */
  labels: number[];
}

export interface EvalSummary {
  num_classes: number;
  num_videos: number;
  multi_label: boolean;
  top1?: number;
  top5?: number;
  mean_class_accuracy?: number;
  map?: number;
  /** Classes that entered the mean (mAP: with a positive; mean class accuracy: with a video). */
  classes_used: number;
}

export function summarizeScores(
  numClasses: number,
  multiLabel: boolean,
  videos: ScoredVideo[],
): EvalSummary {
  if (videos.length === 0)
    throw new InputError('evaluation: expected at least one scored video, got none');
  for (const video of videos) {
    if (video.scores.length !== numClasses) {
      throw new InputError(
        `evaluation: expected ${numClasses} scores for video ${video.id}, got ${video.scores.length}`,
      );
    }
  }
  const scores = scoreMatrixFromRows(videos.map((v) => v.scores));
  const base = { num_classes: numClasses, num_videos: videos.length, multi_label: multiLabel };
  if (multiLabel) {
    const map = meanAveragePrecision(
      scores,
      multiHot(
        videos.map((v) => v.labels),
        numClasses,
      ),
    );
    return { ...base, map: map.value, classes_used: map.classesUsed };
  }
  const unlabelled = videos.filter((v) => v.labels.length !== 1);
  if (unlabelled.length > 0) {
    throw new InputError(
      `evaluation: expected exactly one label per video on a single-label set, got ${unlabelled[0]!.labels.length} for ${unlabelled[0]!.id}`,
    );
  }
  const labels = videos.map((v) => v.labels[0]!);
  const mca = meanClassAccuracy(scores, labels);
  return {
    ...base,
    top1: top1Accuracy(scores, labels),
    top5: topKAccuracy(scores, labels, Math.min(5, numClasses)),
    mean_class_accuracy: mca.value,
    classes_used: mca.classesUsed,
  };
}

/** One line for people: "top-1 62.5% top-5 100.0% mean class acc 61.0% (48 videos, 8 classes)". */
export function formatSummary(summary: EvalSummary): string {
  const pct = (value: number | undefined) =>
    value === undefined ? '-' : `${(100 * value).toFixed(1)}%`;
  const tail = `(${summary.num_videos} videos, ${summary.num_classes} classes)`;
  if (summary.multi_label)
    return `mAP ${pct(summary.map)} over ${summary.classes_used} classes ${tail}`;
  return `top-1 ${pct(summary.top1)}  top-5 ${pct(summary.top5)}  mean class acc ${pct(summary.mean_class_accuracy)} ${tail}`;
}
