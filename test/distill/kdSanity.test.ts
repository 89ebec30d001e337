/** A student trained a few steps with KD toward a fixed random teacher's logits moves toward them. */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import {
  createStudent,
  distillationLoss,
  parseStudent,
  softmaxDistillation,
} from '../../src/index.ts';

describe('KD sanity', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('KL(teacher || student) decreases over 20 Adam steps of pure KD (alpha=0, T=2)', () => {
    const arch = parseStudent({
      name: 'kd',
      frames: 2,
      resolution: 16,
      stem: { filters: 8 },
      stages: [
        {
          repeats: 1,
          filters: 8,
          stride: 2,
          expand: 2,
          kernels: [3, 5],
          temporalKernel: 3,
          temporalDilation: 2,
          se: 0.25,
          activation: 'hswish',
        },
      ],
    });
    const student = createStudent(arch, { numClasses: 5, seed: 11 });
    const rgb = tf.randomUniform([4 * 2, 16, 16, 3], -1, 1, 'float32', 5) as Tensor4D;
    const teacher = tf.mul(tf.randomNormal([4, 5], 0, 1, 'float32', 9), 3) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
    // Measured with batch statistics (training mode), the same normalisation the steps optimise.
    const kl = () =>
      tf.tidy(() => softmaxDistillation(student.apply({ rgb }, true), teacher, 1).dataSync()[0]);
    const before = kl();
    const optimizer = tf.train.adam(0.02);
    for (let step = 0; step < 20; step++) {
      optimizer.minimize(
        () =>
          distillationLoss(student.apply({ rgb }, true), teacher, labels, {
            alpha: 0,
            temperature: 2,
          }),
        false,
        student.trainableVariables,
      );
    }
    const after = kl();
    expect(after).toBeLessThan(0.5 * before);
    optimizer.dispose();
    tf.dispose([rgb, teacher, labels]);
    student.dispose();
  });
});
