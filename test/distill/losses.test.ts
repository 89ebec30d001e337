/** KD losses against plain-JS formulas on small explicit numbers. */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { tf } from '../../src/engine/tf.ts';
import {
  distillationLoss,
  sigmoidDistillation,
  softmaxDistillation,
} from '../../src/distill/losses.ts';

const student = [
  [1.0, -0.5, 2.0],
  [0.2, 0.3, -1.0],
];
const teacher = [
  [2.5, 0.0, 1.0],
  [-0.4, 1.2, 0.1],
];

const softmax = (row: number[], t: number): number[] => {
  const e = row.map((v) => Math.exp(v / t));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function jsSoftKl(t: number): number {
  let total = 0;
  student.forEach((row, b) => {
    const p = softmax(teacher[b], t);
    const q = softmax(row, t);
    total += p.reduce((acc, pc, c) => acc + pc * Math.log(pc / q[c]), 0);
  });
  return (t * t * total) / student.length;
}

function jsSigmoidKd(t: number): number {
  let total = 0;
  student.forEach((row, b) =>
    row.forEach((s, c) => {
      const z = sigmoid(teacher[b][c] / t);
      const p = sigmoid(s / t);
      total += -(z * Math.log(p) + (1 - z) * Math.log(1 - p));
    }),
  );
  return (t * t * total) / (student.length * student[0].length);
}

const value = (scalar: tf.Scalar): number => {
  const v = scalar.dataSync()[0];
  scalar.dispose();
  return v;
};

describe('distillation losses', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const t of [1, 2, 4]) {
    it(`softmax KD T=${t} = T^2 * KL(teacher_T || student_T) (batch 2, 3 classes)`, () => {
      const got = value(softmaxDistillation(tf.tensor2d(student), tf.tensor2d(teacher), t));
      expect(got).toBeCloseTo(jsSoftKl(t), 5);
    });
    it(`sigmoid KD T=${t} = T^2 * BCE(sigmoid(t/T), sigmoid(s/T))`, () => {
      const got = value(sigmoidDistillation(tf.tensor2d(student), tf.tensor2d(teacher), t));
      expect(got).toBeCloseTo(jsSigmoidKd(t), 5);
    });
  }

  it('softmax KD is zero when the student equals the teacher', () => {
    expect(value(softmaxDistillation(tf.tensor2d(teacher), tf.tensor2d(teacher), 3))).toBeCloseTo(
      0,
      6,
    );
  });

  it('alpha mixes the hard CE and the soft term: alpha*hard + (1-alpha)*T^2*KL', () => {
    const labels = [2, 1];
    const hard =
      -student.reduce((acc, row, b) => acc + Math.log(softmax(row, 1)[labels[b]]), 0) / 2;
    const alpha = 0.3;
    const t = 2;
    const got = value(
      distillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), tf.tensor1d(labels, 'int32'), {
        alpha,
        temperature: t,
      }),
    );
    expect(got).toBeCloseTo(alpha * hard + (1 - alpha) * jsSoftKl(t), 5);
  });

  it('multi-label: alpha*BCE(labels) + (1-alpha)*sigmoid KD', () => {
    const labels = [
      [1, 0, 1],
      [0, 1, 0],
    ];
    let bce = 0;
    student.forEach((row, b) =>
      row.forEach(
        (s, c) =>
          (bce += -(
            labels[b][c] * Math.log(sigmoid(s)) +
            (1 - labels[b][c]) * Math.log(1 - sigmoid(s))
          )),
      ),
    );
    bce /= 6;
    const got = value(
      distillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), tf.tensor2d(labels), {
        alpha: 0.6,
        temperature: 3,
        multiLabel: true,
      }),
    );
    expect(got).toBeCloseTo(0.6 * bce + 0.4 * jsSigmoidKd(3), 5);
  });

  it('refuses mismatched shapes, T <= 0 and alpha outside [0,1]', () => {
    expect(() => softmaxDistillation(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2, 3]]))).toThrow(
      /same shape|one shape/,
    );
    expect(() => softmaxDistillation(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), 0)).toThrow(
      /temperature > 0/,
    );
    expect(() =>
      distillationLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), tf.tensor1d([0], 'int32'), {
        alpha: 1.5,
      }),
    ).toThrow(/alpha/);
  });
});
