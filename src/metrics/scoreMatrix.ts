import { InputError } from '../errors.ts';

/** Numbers the metrics accept; Float64Array keeps sums exact enough to match references to 1e-9. */
export type NumericArray = Float32Array | Float64Array | readonly number[];

/**
 * Scores of many items (videos or clips) over classes, row-major `[numItems, numClasses]`.
 * Higher means more confident. Probabilities, logits and averaged views all work: every metric
 * here depends only on the order of scores.
 */
export interface ScoreMatrix {
  data: NumericArray;
  numItems: number;
  numClasses: number;
}

/**
 * Multi-hot targets `[numItems, numClasses]`: nonzero = the item has the class (Charades).
 */
export interface TargetMatrix {
  data: Uint8Array | NumericArray;
  numItems: number;
  numClasses: number;
}

/** Wraps flat row-major scores `[numItems, numClasses]`, checking the length and finiteness. */
export function scoreMatrix(data: NumericArray, numClasses: number): ScoreMatrix {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new InputError(
      `metrics: expected numClasses to be a positive integer, got ${numClasses}`,
    );
  }
  if (data.length % numClasses !== 0) {
    throw new InputError(
      `metrics: expected scores of length numItems x ${numClasses}, got length ${data.length}`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const item = Math.floor(i / numClasses);
      throw new InputError(
        `metrics: expected finite scores, got ${data[i]} at item ${item} class ${i % numClasses}`,
      );
    }
  }
  return { data, numItems: data.length / numClasses, numClasses };
}

/** Score matrix from one array of class scores per item. */
export function scoreMatrixFromRows(rows: readonly (readonly number[])[]): ScoreMatrix {
  const numClasses = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * numClasses);
  rows.forEach((row, item) => {
    if (row.length !== numClasses) {
      throw new InputError(
        `metrics: expected ${numClasses} scores in every row, got ${row.length} in row ${item}`,
      );
    }
    data.set(row, item * numClasses);
  });
  return scoreMatrix(data, numClasses);
}

/** Multi-hot targets from a list of class indices per item (an empty list = no label). */
export function multiHot(
  labelLists: readonly (readonly number[])[],
  numClasses: number,
): TargetMatrix {
  const data = new Uint8Array(labelLists.length * numClasses);
  labelLists.forEach((labels, item) => {
    for (const label of labels) {
      checkClassIndex(label, numClasses, `item ${item}`);
      data[item * numClasses + label] = 1;
    }
  });
  return { data, numItems: labelLists.length, numClasses };
}

/** Wraps flat row-major multi-hot targets, checking that they fit the scores. */
export function targetMatrix(data: TargetMatrix['data'], numClasses: number): TargetMatrix {
  if (data.length % numClasses !== 0) {
    throw new InputError(
      `metrics: expected targets of length numItems x ${numClasses}, got length ${data.length}`,
    );
  }
  return { data, numItems: data.length / numClasses, numClasses };
}

export function checkSameShape(scores: ScoreMatrix, targets: TargetMatrix): void {
  if (scores.numItems !== targets.numItems || scores.numClasses !== targets.numClasses) {
    throw new InputError(
      `metrics: expected targets [${scores.numItems}, ${scores.numClasses}] like the scores, ` +
        `got [${targets.numItems}, ${targets.numClasses}]`,
    );
  }
}

/** Checks single-label class indices: one per item, each in [0, numClasses). */
export function checkLabels(scores: ScoreMatrix, labels: ArrayLike<number>): void {
  if (labels.length !== scores.numItems) {
    throw new InputError(
      `metrics: expected one label per item (${scores.numItems}), got ${labels.length} labels`,
    );
  }
  for (let item = 0; item < labels.length; item++) {
    checkClassIndex(labels[item]!, scores.numClasses, `item ${item}`);
  }
}

function checkClassIndex(label: number, numClasses: number, where: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new InputError(
      `metrics: expected a class index in [0, ${numClasses}), got ${label} for ${where}`,
    );
  }
}
