import { beforeAll, describe, expect, it } from 'vitest';
import { tf, selectBackend } from '../../src/engine/index.ts';
import { batchAccuracy, sigmoidCrossEntropy, softmaxCrossEntropy } from '../../src/train/losses.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Naive float64 softmax CE, one row at a time. */
function referenceSoftmaxCE(logits: number[][], labels: number[], smoothing = 0): number {
  let total = 0;
  logits.forEach((row, b) => {
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    row.forEach((x, c) => {
      const target = (c === labels[b] ? 1 - smoothing : 0) + smoothing / row.length;
      total -= target * (x - logSum);
    });
  });
  return total / logits.length;
}

/** Naive float64 BCE on probabilities (fine for moderate logits). */
function referenceBCE(logits: number[][], targets: number[][]): number {
  let total = 0;
  let count = 0;
  logits.forEach((row, b) =>
    row.forEach((x, c) => {
      const p = 1 / (1 + Math.exp(-x));
      const z = targets[b]![c]!;
      total -= z * Math.log(p) + (1 - z) * Math.log(1 - p);
      count++;
    }),
  );
  return total / count;
}

describe('softmaxCrossEntropy', () => {
  it('logits [[1,2,3]] label 2: log(1 + e^-1 + e^-2) = 0.40760596', () => {
    const loss = softmaxCrossEntropy(tf.tensor2d([[1, 2, 3]]), tf.tensor1d([2], 'int32'));
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)), 6);
    expect(loss.dataSync()[0]).toBeCloseTo(0.40760596, 6);
  });

  it('batch 3 x 4 classes with and without label smoothing 0.1 vs a naive reference', () => {
    const logits = [
      [0.5, -1, 2, 0],
      [3, 3, -2, 1],
      [-0.3, 0.2, 0.1, 4],
    ];
    const labels = [2, 0, 1];
    for (const smoothing of [0, 0.1]) {
      const got = softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), {
        labelSmoothing: smoothing,
      });
      expect(got.dataSync()[0]).toBeCloseTo(referenceSoftmaxCE(logits, labels, smoothing), 5);
    }
  });

  it('is finite for logits of 1000 and its gradient is softmax - onehot over batch', () => {
    const big = softmaxCrossEntropy(tf.tensor2d([[1000, 0]]), tf.tensor1d([1], 'int32'));
    expect(big.dataSync()[0]).toBeCloseTo(1000, 3);
    const x = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const labels = tf.tensor1d([0, 2], 'int32');
    const grad = tf
      .grad((l: tf.Tensor) => softmaxCrossEntropy(l as tf.Tensor2D, labels))(x)
      .arraySync() as number[][];
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(grad[0]![0]).toBeCloseTo((Math.exp(1) / z - 1) / 2, 6);
    expect(grad[1]![2]).toBeCloseTo((1 / 3 - 1) / 2, 6);
  });

  it('rejects wrong label shapes', () => {
    expect(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.tensor1d([1], 'int32'))).toThrow(
      /labels \[2\]/,
    );
  });
});

describe('sigmoidCrossEntropy', () => {
  it('x=0 gives log 2 for any target; x=2, z=1 gives log(1+e^-2)', () => {
    const a = sigmoidCrossEntropy(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]]));
    expect(a.dataSync()[0]).toBeCloseTo(Math.LN2, 6);
    const b = sigmoidCrossEntropy(tf.tensor2d([[2]]), tf.tensor2d([[1]]));
    expect(b.dataSync()[0]).toBeCloseTo(Math.log(1 + Math.exp(-2)), 6);
  });

  it('batch 2 x 3 multi-hot vs a naive reference; sumClasses = classes x mean', () => {
    const logits = [
      [0.5, -1, 2],
      [3, -2, 0.1],
    ];
    const targets = [
      [1, 0, 1],
      [0, 1, 1],
    ];
    const mean = sigmoidCrossEntropy(tf.tensor2d(logits), tf.tensor2d(targets));
    expect(mean.dataSync()[0]).toBeCloseTo(referenceBCE(logits, targets), 5);
    const summed = sigmoidCrossEntropy(tf.tensor2d(logits), tf.tensor2d(targets), {
      reduction: 'sumClasses',
    });
    expect(summed.dataSync()[0]).toBeCloseTo(3 * referenceBCE(logits, targets), 5);
  });

  it('label smoothing 0.2 moves targets to 0.9 / 0.1', () => {
    const got = sigmoidCrossEntropy(tf.tensor2d([[1, -1]]), tf.tensor2d([[1, 0]]), {
      labelSmoothing: 0.2,
    });
    expect(got.dataSync()[0]).toBeCloseTo(referenceBCE([[1, -1]], [[0.9, 0.1]]), 6);
  });

  it('is stable for |x| = 100 (no inf/NaN)', () => {
    const got = sigmoidCrossEntropy(tf.tensor2d([[100, -100]]), tf.tensor2d([[0, 1]]));
    expect(got.dataSync()[0]).toBeCloseTo(100, 4);
  });
});

describe('batchAccuracy', () => {
  it('integer and multi-hot labels', () => {
    const logits = tf.tensor2d([
      [1, 2, 0],
      [5, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    expect(batchAccuracy(logits, tf.tensor1d([1, 0, 0, 2], 'int32')).dataSync()[0]).toBeCloseTo(
      0.5,
    );
    const multi = tf.tensor2d([
      [0, 1, 1],
      [0, 1, 0],
      [1, 0, 1],
      [0, 0, 0],
    ]);
    expect(batchAccuracy(logits, multi).dataSync()[0]).toBeCloseTo(0.5);
  });
});
