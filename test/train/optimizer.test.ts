import { beforeAll, describe, expect, it } from 'vitest';
import { tf, selectBackend } from '../../src/engine/index.ts';
import { SgdMomentum } from '../../src/train/optimizer.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Runs `steps` updates of loss = sum(v^2) (gradient 2v) and returns the values after each. */
function run(optimizer: SgdMomentum, initial: number[][], lrs: number[]): number[][] {
  const v = tf.variable(tf.tensor2d(initial));
  const values: number[][] = [];
  for (const lr of lrs) {
    const grad = tf.tidy(() => tf.mul(v, 2));
    optimizer.update([v], [grad], lr);
    grad.dispose();
    values.push(Array.from(v.dataSync()));
  }
  v.dispose();
  optimizer.dispose();
  return values;
}

describe('SgdMomentum', () => {
  it('v=1, loss v^2, lr 0.1, m 0.9: hand-computed 0.8 then 0.46 (heavy ball)', () => {
    const values = run(new SgdMomentum({ momentum: 0.9 }), [[1]], [0.1, 0.1]);
    expect(values[0]![0]).toBeCloseTo(0.8, 6);
    expect(values[1]![0]).toBeCloseTo(0.46, 6); // acc = 0.9*2 + 1.6 = 3.4
  });

  it('nesterov: first step 1 - 0.1*(2 + 0.9*2) = 0.62', () => {
    const values = run(new SgdMomentum({ momentum: 0.9, nesterov: true }), [[1]], [0.1]);
    expect(values[0]![0]).toBeCloseTo(0.62, 6);
  });

  it('weight decay 0.1: l2 gives 0.79, 0.4351; decoupled gives 0.79, 0.4441', () => {
    const l2 = run(new SgdMomentum({ momentum: 0.9, weightDecay: 0.1 }), [[1]], [0.1, 0.1]);
    expect(l2[0]![0]).toBeCloseTo(0.79, 6);
    expect(l2[1]![0]).toBeCloseTo(0.4351, 6); // g' = 2.1*0.79, acc = 1.89 + 1.659
    const dec = run(
      new SgdMomentum({ momentum: 0.9, weightDecay: 0.1, weightDecayMode: 'decoupled' }),
      [[1]],
      [0.1, 0.1],
    );
    expect(dec[0]![0]).toBeCloseTo(0.79, 6);
    expect(dec[1]![0]).toBeCloseTo(0.4441, 6); // acc = 1.8 + 1.58; minus 0.01*0.79
  });

  it('by default rank-1 variables (biases, BN) are not decayed', () => {
    const optimizer = new SgdMomentum({ momentum: 0, weightDecay: 0.5 });
    const bias = tf.variable(tf.tensor1d([1]));
    optimizer.update([bias], [tf.zeros([1])], 0.1);
    expect(bias.dataSync()[0]).toBe(1);
  });

  for (const nesterov of [false, true]) {
    it(`matches tf.train.momentum bitwise over 4 steps with a changing lr, nesterov=${nesterov}`, () => {
      const init = [
        [0.3, -1.2, 2],
        [0.7, 0.1, -0.4],
      ];
      const lrs = [0.05, 0.2, 0.1, 0.01];
      const ours = run(new SgdMomentum({ momentum: 0.9, nesterov }), init, lrs);
      const reference = tf.train.momentum(lrs[0]!, 0.9, nesterov);
      const v = tf.variable(tf.tensor2d(init));
      const theirs: number[][] = [];
      for (const lr of lrs) {
        reference.setLearningRate(lr);
        reference.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
        theirs.push(Array.from(v.dataSync()));
      }
      expect(ours).toEqual(theirs);
      v.dispose();
      reference.dispose();
    });
  }

  it('getWeights/setWeights restore the momentum exactly: 2+2 steps equal 4 straight', async () => {
    const init = [
      [0.5, -0.25],
      [1.5, 2],
    ];
    const lrs = [0.1, 0.05, 0.2, 0.1];
    const straight = run(new SgdMomentum({ momentum: 0.9, nesterov: true }), init, lrs);

    const first = new SgdMomentum({ momentum: 0.9, nesterov: true });
    const v = tf.variable(tf.tensor2d(init), true, 'resume/kernel');
    for (const lr of lrs.slice(0, 2)) {
      const grad = tf.tidy(() => tf.mul(v, 2));
      first.update([v], [grad], lr);
      grad.dispose();
    }
    const live = await first.getWeights();
    const saved = live.map(({ name, tensor }) => ({
      name,
      values: Array.from(tensor.dataSync()),
      shape: tensor.shape,
    }));
    expect(saved.map((s) => s.name)).toEqual(['iter', 'resume/kernel/momentum']);
    expect(saved[0]!.values).toEqual([2]);
    live[0]!.tensor.dispose();
    first.dispose();

    const second = new SgdMomentum({ momentum: 0.9, nesterov: true });
    const restored = saved.map(({ name, values, shape }) => ({
      name,
      tensor: tf.tensor(values, shape),
    }));
    await second.setWeights(restored);
    tf.dispose(restored.map((r) => r.tensor));
    expect(second.iterations).toBe(2);
    for (const lr of lrs.slice(2)) {
      const grad = tf.tidy(() => tf.mul(v, 2));
      second.update([v], [grad], lr);
      grad.dispose();
    }
    expect(Array.from(v.dataSync())).toEqual(straight[3]);
    v.dispose();
    second.dispose();
  });

  it('works as a tf.Optimizer: minimize() uses learningRate and matches update()', () => {
    const viaMinimize = new SgdMomentum({ momentum: 0.9, learningRate: 0.1 });
    const v = tf.variable(tf.tensor2d([[1]]));
    viaMinimize.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
    viaMinimize.minimize(() => tf.sum(tf.square(v)) as tf.Scalar, false, [v]);
    expect(v.dataSync()[0]).toBeCloseTo(0.46, 6);
    expect(viaMinimize.iterations).toBe(2);
    expect(viaMinimize.getClassName()).toBe('SgdMomentum');
    v.dispose();
    viaMinimize.dispose();
  });

  it('does not leak tensors across steps', () => {
    const optimizer = new SgdMomentum({ momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    const v = tf.variable(tf.ones([3, 3]));
    const step = () => {
      const grad = tf.tidy(() => tf.mul(v, 2));
      optimizer.update([v], [grad], 0.1);
      grad.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
    optimizer.dispose();
  });

  it('rejects bad options', () => {
    expect(() => new SgdMomentum({ momentum: 1 })).toThrow(/momentum/);
    expect(() => new SgdMomentum({ weightDecayMode: 'adamw' as never })).toThrow(/l2\|decoupled/);
  });
});
