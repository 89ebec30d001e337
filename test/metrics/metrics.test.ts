/**
 * Metrics against scikit-learn 1.2.1 (fixtures from test/metrics/fixtures/make_fixtures.py)
 * and against hand-computed values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  aggregateViews,
  averagePrecision,
  checkMultiLabel,
  confusionMatrix,
  formatCharadesSubmission,
  meanAveragePrecision,
  meanClassAccuracy,
  multiHot,
  parseCharadesSubmission,
  perClassAveragePrecision,
  predictTop1,
  scoreMatrix,
  scoreMatrixFromRows,
  targetMatrix,
  top1Accuracy,
  topKAccuracy,
} from '../../src/metrics/index.ts';
import { InputError } from '../../src/errors.ts';

const TOLERANCE = 1e-9;

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

interface SingleLabelCase {
  name: string;
  num_classes: number;
  scores: number[];
  labels: number[];
  predicted_top1: number[];
  top1: number;
  top3: number;
  confusion_matrix: number[];
  per_class_recall: (number | null)[];
  balanced_accuracy: number;
}
interface ApResult {
  ap_per_class_sklearn: number[];
  has_positive: boolean[];
  map: number;
}
interface MultiLabelCase extends ApResult {
  name: string;
  num_classes: number;
  scores: number[];
  targets: number[];
}
interface MultiViewCase extends ApResult {
  num_classes: number;
  clip_video_ids: string[];
  clip_scores: number[];
  video_order: string[];
  video_targets: number[];
  video_scores_mean: number[];
  video_scores_max: number[];
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(
      Math.abs(actual[i]! - expected[i]!),
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThan(TOLERANCE);
  }
}

/** sklearn reports 0 (with a warning) for classes without positives; we report NaN. */
function expectPerClassAp(actual: Float64Array, expected: ApResult): void {
  expected.has_positive.forEach((hasPositive, c) => {
    if (hasPositive)
      expect(Math.abs(actual[c]! - expected.ap_per_class_sklearn[c]!)).toBeLessThan(TOLERANCE);
    else expect(actual[c]).toBeNaN();
  });
}

describe('single-label metrics vs scikit-learn', () => {
  for (const c of fixture<{ cases: SingleLabelCase[] }>('single_label.json').cases) {
    const scores = scoreMatrix(Float64Array.from(c.scores), c.num_classes);
    it(`${c.name}: top-1 prediction (ties -> higher class index)`, () => {
      expect(Array.from(predictTop1(scores))).toEqual(c.predicted_top1);
    });
    it(`${c.name}: top-1 and top-3 accuracy`, () => {
      expect(Math.abs(top1Accuracy(scores, c.labels) - c.top1)).toBeLessThan(TOLERANCE);
      expect(Math.abs(topKAccuracy(scores, c.labels, 3) - c.top3)).toBeLessThan(TOLERANCE);
    });
    it(`${c.name}: confusion matrix, per-class recall, mean class accuracy`, () => {
      expect(Array.from(confusionMatrix(scores, c.labels).counts)).toEqual(c.confusion_matrix);
      const result = meanClassAccuracy(scores, c.labels);
      c.per_class_recall.forEach((recall, k) => {
        if (recall === null) expect(result.perClass[k]).toBeNaN();
        else expect(Math.abs(result.perClass[k]! - recall)).toBeLessThan(TOLERANCE);
      });
      expect(Math.abs(result.value - c.balanced_accuracy)).toBeLessThan(TOLERANCE);
      expect(result.classesUsed).toBe(c.per_class_recall.filter((r) => r !== null).length);
    });
  }
});

describe('average precision vs scikit-learn', () => {
  const binary = fixture<{
    cases: { name: string; scores: number[]; targets: number[]; ap: number }[];
  }>('binary_ap.json');
  for (const c of binary.cases) {
    it(`one class: ${c.name}`, () => {
      expect(Math.abs(averagePrecision(c.scores, c.targets) - c.ap)).toBeLessThan(TOLERANCE);
    });
  }
  for (const c of fixture<{ cases: MultiLabelCase[] }>('multi_label.json').cases) {
    it(`${c.name}: per-class AP and Charades mAP`, () => {
      const scores = scoreMatrix(Float64Array.from(c.scores), c.num_classes);
      const targets = targetMatrix(Uint8Array.from(c.targets), c.num_classes);
      expectPerClassAp(perClassAveragePrecision(scores, targets), c);
      const result = meanAveragePrecision(scores, targets);
      expect(Math.abs(result.value - c.map)).toBeLessThan(TOLERANCE);
      expect(result.classesUsed).toBe(c.has_positive.filter(Boolean).length);
    });
  }
});

describe('multi-view aggregation vs numpy + scikit-learn', () => {
  const c = fixture<MultiViewCase>('multi_view.json');
  const clips = scoreMatrix(Float64Array.from(c.clip_scores), c.num_classes);
  it('mean over views, videos in order of first view, then mAP', () => {
    const videos = aggregateViews(clips, c.clip_video_ids);
    expect(videos.videoIds).toEqual(c.video_order);
    expect(Array.from(videos.viewCounts)).toEqual(c.video_order.map(() => 3));
    expectClose(videos.scores.data, c.video_scores_mean);
    const targets = targetMatrix(Uint8Array.from(c.video_targets), c.num_classes);
    expectPerClassAp(perClassAveragePrecision(videos.scores, targets), c);
    expect(Math.abs(meanAveragePrecision(videos.scores, targets).value - c.map)).toBeLessThan(
      TOLERANCE,
    );
  });
  it('max over views', () => {
    expectClose(aggregateViews(clips, c.clip_video_ids, 'max').scores.data, c.video_scores_max);
  });
});

describe('hand-computed values', () => {
  it('AP with ties: scores [.9,.5,.5,.1] targets [1,0,1,0] -> 1*0.5 + (2/3)*0.5', () => {
    expect(averagePrecision([0.9, 0.5, 0.5, 0.1], [1, 0, 1, 0])).toBeCloseTo(0.5 + 1 / 3, 12);
  });
  it('AP is NaN without positives; mAP leaves that class out', () => {
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
    // class 0: positives ranked 1st and 3rd -> (1 + 2/3)/2; class 1: perfect -> 1; class 2: none
    const scores = scoreMatrixFromRows([
      [0.9, 0.8, 0.1],
      [0.5, 0.1, 0.2],
      [0.4, 0.7, 0.3],
    ]);
    const targets = multiHot([[0, 1], [], [0, 1]], 3);
    const result = meanAveragePrecision(scores, targets);
    expect(result.classesUsed).toBe(2);
    expect(result.perClass[2]).toBeNaN();
    expect(result.value).toBeCloseTo(((1 + 2 / 3) / 2 + 1) / 2, 12);
  });
  it('top-k: ties between the label and another class rank the higher index first', () => {
    const scores = scoreMatrixFromRows([[0.5, 0.5, 0.1]]);
    expect(top1Accuracy(scores, [1])).toBe(1);
    expect(top1Accuracy(scores, [0])).toBe(0);
    expect(topKAccuracy(scores, [0], 2)).toBe(1);
  });
  it('mean class accuracy excludes classes without items', () => {
    // class 0: 1 of 2 right; class 1: 1 of 1; class 2: no items (predicted once) -> (0.5 + 1) / 2
    const scores = scoreMatrixFromRows([
      [0.9, 0.0, 0.1],
      [0.1, 0.0, 0.9],
      [0.0, 0.8, 0.2],
    ]);
    const result = meanClassAccuracy(scores, [0, 0, 1]);
    expect(result.value).toBeCloseTo(0.75, 12);
    expect(result.classesUsed).toBe(2);
  });
});

describe('guards', () => {
  it('refuses mAP on a single-label set, with an explanation', () => {
    const scores = scoreMatrixFromRows([
      [0.9, 0.1],
      [0.2, 0.8],
    ]);
    const targets = multiHot([[0], [1]], 2);
    const report = checkMultiLabel(targets);
    expect(report.multiLabel).toBe(false);
    expect(report.itemsWithOneLabel).toBe(2);
    expect(report.problem).toMatch(/single-label set.*known trap.*top-1/);
    expect(() => meanAveragePrecision(scores, targets)).toThrow(InputError);
    expect(() => meanAveragePrecision(scores, targets)).toThrow(
      /expected multi-label targets for mAP/,
    );
    expect(meanAveragePrecision(scores, targets, { allowSingleLabel: true }).value).toBe(1);
  });
  it('accepts a multi-label set with unlabelled videos', () => {
    const report = checkMultiLabel(multiHot([[0, 1], [], [1]], 2));
    expect(report).toMatchObject({ multiLabel: true, itemsWithoutLabels: 1, maxLabelsPerItem: 2 });
    expect(report.problem).toBeUndefined();
  });
  it('rejects bad shapes, labels and scores with specific messages', () => {
    expect(() => scoreMatrix([1, 2, 3], 2)).toThrow(/numItems x 2, got length 3/);
    expect(() => scoreMatrix([1, Number.NaN], 2)).toThrow(
      /finite scores, got NaN at item 0 class 1/,
    );
    const scores = scoreMatrixFromRows([[0.1, 0.9]]);
    expect(() => top1Accuracy(scores, [2])).toThrow(/class index in \[0, 2\), got 2 for item 0/);
    expect(() => top1Accuracy(scores, [0, 1])).toThrow(/one label per item \(1\), got 2/);
    expect(() => meanAveragePrecision(scores, multiHot([[0], [1]], 2))).toThrow(/targets \[1, 2\]/);
    expect(() => aggregateViews(scores, ['a', 'b'])).toThrow(/one video id per view \(1\), got 2/);
  });
});

describe('Charades submission format', () => {
  it('one line per video: id then the scores; parses back exactly', () => {
    const scores = scoreMatrixFromRows([
      [0.25, 1e-7, -3],
      [0.1, 0.2, 0.30000000000000004],
    ]);
    const text = formatCharadesSubmission(['46GP8', 'N11GT'], scores);
    expect(text).toBe('46GP8 0.25 1e-7 -3\nN11GT 0.1 0.2 0.30000000000000004\n');
    const parsed = parseCharadesSubmission(text, 3);
    expect(parsed.videoIds).toEqual(['46GP8', 'N11GT']);
    expect(Array.from(parsed.scores.data)).toEqual(Array.from(scores.data));
  });
  it('names the line of a malformed row', () => {
    expect(() => parseCharadesSubmission('A 1 2 3\nB 1 2\n', 3, 'sub.txt')).toThrow(
      /expected an id and 3 scores per line, got 2 scores \(sub\.txt:2\)/,
    );
    expect(() => formatCharadesSubmission(['a b'], scoreMatrixFromRows([[1]]))).toThrow(
      /without spaces/,
    );
  });
});
