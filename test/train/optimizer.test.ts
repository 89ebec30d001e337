import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, selectBackend } from '../../src/engine/index.ts';
import { SGD_MOMENTUM_UPDATE } from '../../src/engine/kernels/SgdMomentumUpdate.ts';
import { WASM_KERNEL_MAX_ELEMENTS } from '../../src/engine/sgdMomentumUpdate.ts';
import { type SgdOptions, SgdMomentum } from '../../src/train/optimizer.ts';
import { relError, seeded } from '../engine/kernels/naive.ts';

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

/**
 * The one-kernel update (wasm, cpu) against the tfjs-op form run on the cpu backend, bitwise:
 * several steps with changing rates, a decayed kernel, an undecayed bias, a variable whose
 * gradient is null (left untouched, no slot) and one above the wasm size cutoff.
 */
describe('SgdMomentum one-kernel update', () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });

  // The last is above the wasm cutoff (ops there, the kernel on cpu).
  const SHAPES = [[3, 4], [5], [2, 2], [65, 64]] as const;
  const LRS = [0.1, 0.05, 0.2, 0.01];

  /** Values of every variable and every saved optimizer weight after each step. */
  async function trajectory(options: SgdOptions): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const variables = tf.tidy(() =>
      SHAPES.map((shape, v) => tf.variable(tf.tensor(seeded(shape, 10 + v), [...shape]))),
    );
    const optimizer = new SgdMomentum(options);
    for (const [step, lr] of LRS.entries()) {
      const gradients = SHAPES.map((shape, v) =>
        v === 2 ? null : tf.tensor(seeded(shape, 100 * step + v), [...shape]),
      );
      optimizer.update(variables, gradients, lr);
      tf.dispose(gradients.filter((g) => g !== null));
      for (const [v, variable] of variables.entries())
        out.set(`step ${step} variable ${v}`, variable.dataSync() as Float32Array);
      const weights = await optimizer.getWeights();
      for (const [w, { name, tensor }] of weights.entries()) {
        // Slot names hold the engine's variable counter: label them by position.
        out.set(
          `step ${step} weight ${w}${w === 0 ? ` ${name}` : ''}`,
          tensor.dataSync() as Float32Array,
        );
      }
      weights[0]!.tensor.dispose();
    }
    optimizer.dispose();
    tf.dispose(variables);
    return out;
  }

  const CONFIGS: SgdOptions[] = [
    { momentum: 0.9, nesterov: false },
    { momentum: 0.9, nesterov: true, weightDecay: 0.05 },
    { momentum: 0.9, nesterov: false, weightDecay: 0.1, weightDecayMode: 'decoupled' },
    { momentum: 0.9, nesterov: true, weightDecay: 0.1, weightDecayMode: 'decoupled' },
    { momentum: 0, weightDecay: 0.05 },
    { momentum: 0, weightDecay: 0.1, weightDecayMode: 'decoupled' },
  ];

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`on ${backend} matches the tfjs-op form on cpu`, async () => {
      for (const config of CONFIGS) {
        const label = JSON.stringify(config);
        await selectBackend('cpu');
        const expected = await trajectory({ ...config, kernels: false });
        await selectBackend(backend);
        const before = tf.memory().numTensors;
        const got = await trajectory(config);
        expect(tf.memory().numTensors, label).toBe(before);
        expect([...got.keys()], label).toEqual([...expected.keys()]);
        // momentum 0: no slots (only `iter`); otherwise one per updated variable, none for the
        // variable without a gradient.
        expect(got.has('step 3 weight 3'), label).toBe(config.momentum !== 0);
        expect(got.has('step 3 weight 4'), label).toBe(false);
        for (const [key, values] of expected) {
          // Bitwise: the kernel rounds every operation to float32 as the ops do (see its header).
          expect(got.get(key), `${label} ${key}`).toEqual(values);
        }
        // The variable without a gradient kept its initial values.
        expect(got.get('step 3 variable 2'), label).toEqual(seeded([2, 2], 12));
      }
    });
  }

  it('differs from a wrong formula (the comparison can fail)', async () => {
    await selectBackend('cpu');
    const nesterov = await trajectory({ momentum: 0.9, nesterov: true });
    const heavyBall = await trajectory({ momentum: 0.9, nesterov: false, kernels: false });
    expect(
      relError(nesterov.get('step 3 variable 0')!, heavyBall.get('step 3 variable 0')!),
    ).toBeGreaterThan(1e-3);
  });

  it('runs one kernel call per updated variable on wasm', async () => {
    await selectBackend('wasm');
    const small = SHAPES.slice(0, 3);
    const variables = tf.tidy(() => small.map((shape) => tf.variable(tf.ones([...shape]))));
    const gradients = small.map((shape, v) => (v === 2 ? null : tf.ones([...shape])));
    const optimizer = new SgdMomentum({ momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
    optimizer.update(variables, gradients, 0.1); // creates the slots
    const profile = await tf.profile(() => optimizer.update(variables, gradients, 0.1));
    expect(profile.kernels.map((k) => k.name)).toEqual([SGD_MOMENTUM_UPDATE, SGD_MOMENTUM_UPDATE]);
    optimizer.dispose();
    tf.dispose([...variables, ...gradients.filter((g) => g !== null)]);
  });

  it('on wasm, variables above the size cutoff run as ops; on cpu, as the kernel', async () => {
    const kernelsRun = async (backend: 'cpu' | 'wasm') => {
      await selectBackend(backend);
      const shape = [WASM_KERNEL_MAX_ELEMENTS + 1];
      const variable = tf.tidy(() => tf.variable(tf.ones(shape)));
      const gradient = tf.ones(shape);
      const optimizer = new SgdMomentum({ momentum: 0.9 });
      optimizer.update([variable], [gradient], 0.1); // creates the slot
      const profile = await tf.profile(() => optimizer.update([variable], [gradient], 0.1));
      optimizer.dispose();
      tf.dispose([variable, gradient]);
      return profile.kernelNames;
    };
    expect(await kernelsRun('cpu')).toEqual([SGD_MOMENTUM_UPDATE]);
    const wasm = await kernelsRun('wasm');
    expect(wasm).not.toContain(SGD_MOMENTUM_UPDATE);
    expect(wasm).toContain('Multiply');
  });

  it('the kernel refuses a slot of another shape', async () => {
    await selectBackend('cpu');
    const run = () =>
      tf
        .engine()
        .runKernel(
          SGD_MOMENTUM_UPDATE,
          { value: tf.ones([2, 3]), gradient: tf.ones([2, 3]), slot: tf.ones([3, 2]) },
          { lr: 0.1, momentum: 0.9, nesterov: false, l2: 0, decoupled: 0 },
        );
    expect(run).toThrow(
      /expected gradient and slot of shape \[2,3\], got gradient \[2,3\], slot \[3,2\]/,
    );
  });
});
