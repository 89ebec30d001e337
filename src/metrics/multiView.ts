/**
 * Multi-view testing: a video is scored on several clips (and crops); its score per class is
 * the mean of its views' scores (or the max, which some Charades evaluations use).
 */
import { InputError } from '../errors.ts';
import { scoreMatrix, type ScoreMatrix } from './scoreMatrix.ts';

export type ViewReduction = 'mean' | 'max';

export interface VideoScores {
  /** Video ids in order of their first view. */
  videoIds: string[];
  /** Aggregated scores `[videoIds.length, numClasses]`. */
  scores: ScoreMatrix;
  /** Views per video `[videoIds.length]`. */
  viewCounts: Uint32Array;
}

/**
 * Aggregates view scores `[numViews, numClasses]` to video scores; `videoIdOfView[i]` names the
 * video of view i. Views of one video may arrive in any order and interleaved with others.
 */
export function aggregateViews(
  viewScores: ScoreMatrix,
  videoIdOfView: ArrayLike<string>,
  reduction: ViewReduction = 'mean',
): VideoScores {
  const { numItems: numViews, numClasses } = viewScores;
  if (videoIdOfView.length !== numViews) {
    throw new InputError(
      `metrics: expected one video id per view (${numViews}), got ${videoIdOfView.length}`,
    );
  }
  const indexOfVideo = new Map<string, number>();
  const videoIds: string[] = [];
  for (let v = 0; v < numViews; v++) {
    const id = videoIdOfView[v]!;
    if (!indexOfVideo.has(id)) {
      indexOfVideo.set(id, videoIds.length);
      videoIds.push(id);
    }
  }
  const data = new Float64Array(videoIds.length * numClasses).fill(
    reduction === 'max' ? Number.NEGATIVE_INFINITY : 0,
  );
  const viewCounts = new Uint32Array(videoIds.length);
  for (let v = 0; v < numViews; v++) {
    const video = indexOfVideo.get(videoIdOfView[v]!)!;
    viewCounts[video]!++;
    for (let c = 0; c < numClasses; c++) {
      const s = viewScores.data[v * numClasses + c]!;
      const at = video * numClasses + c;
      data[at] = reduction === 'max' ? Math.max(data[at]!, s) : data[at]! + s;
    }
  }
  if (reduction === 'mean') {
    for (let video = 0; video < videoIds.length; video++) {
      for (let c = 0; c < numClasses; c++) data[video * numClasses + c]! /= viewCounts[video]!;
    }
  }
  return { videoIds, scores: scoreMatrix(data, numClasses), viewCounts };
}
