/**
 * KD target packing and the student objectives (hard / logit KD / feature regression) against
 * plain-JS formulas on small explicit numbers, and the regressor staying out of the student's
 * saved variables.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createStudent,
  featureRegressionLoss,
  kdTargetWidth,
  objectiveLoss,
  packKdTargets,
  parseStudent,
  selectBackend,
  splitKdTargets,
  tf,
  withFeatureRegressor,
} from '../../src/index.ts';

type Tensor2D = tf.Tensor2D;

const logits = [
  [1.0, -0.5, 2.0],
  [0.2, 0.3, -1.0],
];
const teacherLogits = [
  [2.5, 0.0, 1.0],
  [-0.4, 1.2, 0.1],
];
const teacherFeatures = [
  [0.5, -1.0],
  [2.0, 0.0],
];
const predictedFeatures = [
  [0.0, -1.5],
  [1.0, 1.0],
];
const hard = [2, 1];

const logSoftmax = (row: number[]): number[] => {
  const max = Math.max(...row);
  const z = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - z);
};
const jsCe = () => -hard.reduce((a, label, b) => a + logSoftmax(logits[b]!)[label]!, 0) / 2;
const jsKl = (t: number) =>
  (t *
    t *
    logits.reduce((a, row, b) => {
      const pt = logSoftmax(teacherLogits[b]!.map((v) => v / t));
      const ps = logSoftmax(row.map((v) => v / t));
      return a + pt.reduce((s, lp, c) => s + Math.exp(lp) * (lp - ps[c]!), 0);
    }, 0)) /
  2;
const jsMse = () =>
  predictedFeatures.flat().reduce((a, v, i) => a + (v - teacherFeatures.flat()[i]!) ** 2, 0) / 4;

describe('KD targets and student objectives', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('packs hard labels, teacher logits and features into one tensor and splits them back', () => {
    const spec = { numClasses: 3, multiLabel: false, featureWidth: 2 };
    expect(kdTargetWidth(spec)).toBe(6);
    const packed = packKdTargets(
      tf.tensor1d(hard, 'int32'),
      tf.tensor2d(teacherLogits),
      spec,
      tf.tensor2d(teacherFeatures),
    );
    expect(packed.shape).toEqual([2, 6]);
    expect(packed.arraySync()[1]).toEqual([1, -0.4, 1.2, 0.1, 2.0, 0.0].map((v) => Math.fround(v)));
    const parts = splitKdTargets(packed, spec);
    expect(parts.hard.dtype).toBe('int32');
    expect(parts.hard.arraySync()).toEqual(hard);
    expect(parts.teacherLogits.arraySync()[0]).toEqual([2.5, 0, 1]);
    expect(parts.teacherFeatures!.arraySync()).toEqual(teacherFeatures);
    // multi-label: [B, 2C]
    const multi = { numClasses: 3, multiLabel: true };
    const packedMulti = packKdTargets(
      tf.tensor2d([
        [1, 0, 1],
        [0, 1, 0],
      ]),
      tf.tensor2d(teacherLogits),
      multi,
    );
    expect(packedMulti.shape).toEqual([2, 6]);
    expect(splitKdTargets(packedMulti, multi).hard.arraySync()).toEqual([
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });

  it('refuses mismatched shapes with what it expected', () => {
    const spec = { numClasses: 3, multiLabel: false };
    expect(() =>
      packKdTargets(tf.tensor1d([1, 2, 0], 'int32'), tf.tensor2d(teacherLogits), spec),
    ).toThrow(/expected hard labels \[2\]/);
    expect(() =>
      packKdTargets(
        tf.tensor1d(hard, 'int32'),
        tf.tensor2d(teacherLogits),
        spec,
        tf.tensor2d(teacherFeatures),
      ),
    ).toThrow(/exactly when featureWidth > 0/);
    expect(() => splitKdTargets(tf.zeros([2, 5]), spec)).toThrow(/expected KD labels \[B, 4\]/);
  });

  it('hard, logit-KD and feature objectives equal their formulas', () => {
    const spec = { numClasses: 3, multiLabel: false, featureWidth: 2 };
    const labels = packKdTargets(
      tf.tensor1d(hard, 'int32'),
      tf.tensor2d(teacherLogits),
      spec,
      tf.tensor2d(teacherFeatures),
    );
    const plain = tf.tensor2d(logits);
    const withFeatures = tf.concat([plain, tf.tensor2d(predictedFeatures)], 1) as Tensor2D;
    const value = (objective: Parameters<typeof objectiveLoss>[0], output: Tensor2D) =>
      objectiveLoss(objective, spec).loss(output, labels).dataSync()[0]!;
    const kd = { alpha: 0.3, temperature: 2 };
    expect(value({ logits: 'hard', featureWeight: 0, ...kd }, plain)).toBeCloseTo(jsCe(), 5);
    expect(value({ logits: 'kd', featureWeight: 0, ...kd }, plain)).toBeCloseTo(
      0.3 * jsCe() + 0.7 * jsKl(2),
      5,
    );
    expect(value({ logits: 'hard', featureWeight: 2.5, ...kd }, withFeatures)).toBeCloseTo(
      jsCe() + 2.5 * jsMse(),
      5,
    );
    expect(
      featureRegressionLoss(
        tf.tensor2d(predictedFeatures),
        tf.tensor2d(teacherFeatures),
      ).dataSync()[0],
    ).toBeCloseTo(jsMse(), 6);
    // the step metric reads the logits part only: predictions 2 and 1 are both right
    expect(
      objectiveLoss({ logits: 'hard', featureWeight: 1, ...kd }, spec)
        .metric(withFeatures, labels)
        .dataSync()[0],
    ).toBe(1);
    expect(() =>
      objectiveLoss(
        { logits: 'hard', featureWeight: 1, ...kd },
        { numClasses: 3, multiLabel: false },
      ),
    ).toThrow(/needs teacher features/);
  });

  it('the feature regressor trains with the student but is not one of its saved variables', () => {
    const arch = parseStudent({
      name: 'regressed',
      frames: 2,
      resolution: 16,
      stem: { filters: 4 },
      stages: [{ repeats: 1, filters: 8, stride: 2, expand: 2, kernels: [3] }],
    });
    const student = createStudent(arch, { numClasses: 3 });
    const model = withFeatureRegressor(student, 5, { seed: 3 });
    try {
      expect(model.trainableVariables.length).toBe(student.trainableVariables.length + 2);
      expect([...model.variables.keys()]).toEqual([...student.variables.keys()]);
      const output = model.apply({ rgb: tf.ones([4, 16, 16, 3]) as tf.Tensor4D }, false);
      expect(output.shape).toEqual([2, 3 + 5]);
      const alone = student.apply({ rgb: tf.ones([4, 16, 16, 3]) as tf.Tensor4D }, false);
      expect(Array.from(output.slice([0, 0], [2, 3]).dataSync())).toEqual(
        Array.from(alone.dataSync()),
      );
    } finally {
      model.dispose();
      student.dispose();
    }
  });
});
