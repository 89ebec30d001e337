import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import type { Variable } from '../../src/engine/tf.ts';
import {
  assignWeights,
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  weightsLoadHandler,
  weightsSaveHandler,
} from '../../src/engine/weightsIO.ts';
import { InputError } from '../../src/errors.ts';

let root: string;
let counter = 0;
const freshDir = () => join(root, `ckpt${counter++}`);

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'weightsio-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Bit patterns, so NaN, -0 and subnormals compare exactly. */
function bits(tensor: import('@tensorflow/tfjs').Tensor): number[] {
  const values = tensor.dataSync();
  if (values instanceof Float32Array)
    return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
  return Array.from(values as Int32Array | Uint8Array);
}

const specialFloats = [0, -0, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY, 1e-45, 3.4e38];

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips float32 [2,4], int32 [3], bool [2,2], scalar bit-exactly with metadata', async () => {
    const dir = freshDir();
    const weights = {
      'block0/conv/kernel': tf.tensor2d(specialFloats, [2, 4]),
      'block0/count': tf.tensor1d([-7, 0, 2147483647], 'int32'),
      mask: tf.tensor2d([true, false, false, true], [2, 2], 'bool'),
      scale: tf.scalar(0.1),
    };
    const metadata = {
      genome: [
        [-1, 4],
        [0, [0], 32, 1, 1, 0],
      ],
      step: 12,
      rng: { state: [1, 2, 3, 4] },
      note: null,
    };
    await saveCheckpoint(dir, { weights, metadata });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']); // no temporaries left
    const checkpoint = await loadCheckpoint(dir);
    expect(Object.keys(checkpoint.weights)).toEqual(Object.keys(weights));
    for (const [name, tensor] of Object.entries(weights)) {
      const loaded = checkpoint.weights[name]!;
      expect(loaded.shape).toEqual(tensor.shape);
      expect(loaded.dtype).toBe(tensor.dtype);
      expect(bits(loaded)).toEqual(bits(tensor));
    }
    expect(checkpoint.metadata).toEqual(metadata);
    expect(checkpoint.optimizerWeights).toEqual([]);
    checkpoint.dispose();
  });

  it('writes the documented layout: an independent reader (JSON + DataView, no tf) gets the values', async () => {
    const dir = freshDir();
    const kernel = [0.5, -1, 3.25, 1e-3, 7, -0.125];
    await saveCheckpoint(dir, {
      weights: { kernel: tf.tensor2d(kernel, [3, 2]), steps: tf.tensor1d([5, -6], 'int32') },
      metadata: { step: 3 },
    });
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('assemblenet-weights');
    expect(modelJson.userDefinedMetadata).toEqual({ step: 3 });
    expect(modelJson.weightsManifest).toEqual([
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'kernel', shape: [3, 2], dtype: 'float32', group: 'model' },
          { name: 'steps', shape: [2], dtype: 'int32', group: 'model' },
        ],
      },
    ]);
    const bin = await readFile(join(dir, 'weights.bin'));
    const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    expect(bin.byteLength).toBe(6 * 4 + 2 * 4);
    expect(kernel.map((_, i) => view.getFloat32(i * 4, true))).toEqual(kernel.map(Math.fround));
    expect([view.getInt32(24, true), view.getInt32(28, true)]).toEqual([5, -6]);
  });

  it('overwrites an existing checkpoint in place', async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, { weights: { w: tf.tensor1d([1, 2]) }, metadata: { step: 1 } });
    await saveCheckpoint(dir, { weights: { w: tf.tensor1d([3, 4, 5]) }, metadata: { step: 2 } });
    const checkpoint = await loadCheckpoint(dir);
    expect(Array.from(checkpoint.weights.w!.dataSync())).toEqual([3, 4, 5]);
    expect(checkpoint.metadata).toEqual({ step: 2 });
    checkpoint.dispose();
  });
});

describe('assignWeights', () => {
  it('assigns by name into variables', () => {
    const variables = { a: tf.variable(tf.zeros([2])), b: tf.variable(tf.zeros([1, 2])) };
    assignWeights(variables, { a: tf.tensor1d([1, 2]), b: tf.tensor2d([[3, 4]]) });
    expect(Array.from(variables.a.dataSync())).toEqual([1, 2]);
    expect(Array.from(variables.b.dataSync())).toEqual([3, 4]);
  });

  it('lists missing, unexpected and mismatched weights in one error', () => {
    const variables = {
      'conv1/kernel': tf.variable(tf.zeros([3, 3, 3, 8])),
      'conv1/bias': tf.variable(tf.zeros([8])),
      'head/kernel': tf.variable(tf.zeros([8, 2])),
      steps: tf.variable(tf.zeros([1], 'int32')),
    };
    const stored = {
      'conv1/kernel': tf.zeros([3, 3, 3, 16]),
      'head/kernel': tf.zeros([8, 2]),
      'head/extra': tf.zeros([1]),
      steps: tf.zeros([1]),
    };
    let message = '';
    try {
      assignWeights(variables, stored, { source: 'run/model.json' });
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      message = (error as Error).message;
    }
    expect(message).toContain(
      'run/model.json does not match the model (4 weights expected, 4 found)',
    );
    expect(message).toContain('missing (expected by the model, not in run/model.json): conv1/bias');
    expect(message).toContain('unexpected (in run/model.json, not in the model): head/extra');
    expect(message).toContain('conv1/kernel: expected shape [3,3,3,8], got [3,3,3,16]');
    expect(message).toContain('steps: expected dtype int32, got float32');
    expect(Array.from(variables['head/kernel'].dataSync()).every((v) => v === 0)).toBe(true); // nothing assigned
  });

  it('allowMissing / allowUnexpected relax the name checks', () => {
    const variables = { a: tf.variable(tf.zeros([1])), b: tf.variable(tf.zeros([1])) };
    assignWeights(
      variables,
      { a: tf.ones([1]), c: tf.ones([1]) },
      { allowMissing: true, allowUnexpected: true },
    );
    expect(variables.a.dataSync()[0]).toBe(1);
    expect(variables.b.dataSync()[0]).toBe(0);
  });
});

describe('files: clear errors', () => {
  it('missing directory, missing weights.bin, truncated weights.bin, torn pair', async () => {
    await expect(loadCheckpoint(join(root, 'nope'))).rejects.toThrow(
      /expected a checkpoint file .*nope\/model\.json, got no such file/,
    );

    const dir = freshDir();
    await saveCheckpoint(dir, { weights: { w: tf.tensor1d([1, 2, 3]) } });
    const bin = await readFile(join(dir, 'weights.bin'));

    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, 8));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /expected 12 bytes of weights as .*model\.json describes, got 8 in weights\.bin/,
    );

    const other = Buffer.from(bin);
    other.writeFloatLE(9, 0);
    await writeFile(join(dir, 'weights.bin'), other);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/match the checksum.*interrupted/);

    await writeFile(join(dir, 'model.json'), '{"weightsManifest": [');
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /expected JSON in .*model\.json, got a parse error/,
    );

    await rm(join(dir, 'weights.bin'));
    await saveCheckpoint(join(dir, 'again'), { weights: { w: tf.tensor1d([1]) } });
    await writeFile(join(dir, 'model.json'), await readFile(join(dir, 'again', 'model.json')));
    await expect(loadCheckpoint(dir)).rejects.toThrow(InputError);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/weights\.bin, got no such file/);
  });
});

/** y = x w + b, mean squared error, a few fixed inputs. */
function makeProblem() {
  const x = tf.tensor2d([
    [1, 2, 0.5],
    [0.3, -1, 2],
    [2, 0.1, -0.7],
    [-1, 1, 1],
  ]);
  const y = tf.tensor2d([
    [1, 0],
    [0, 1],
    [2, -1],
    [0.5, 0.5],
  ]);
  const newVariables = (): Record<string, Variable> => ({
    'dense/kernel': tf.variable(
      tf.tensor2d([
        [0.1, -0.2],
        [0.3, 0.05],
        [-0.4, 0.2],
      ]),
    ),
    'dense/bias': tf.variable(tf.tensor1d([0.01, -0.02])),
  });
  const step = (
    optimizer: import('@tensorflow/tfjs').Optimizer,
    variables: Record<string, Variable>,
  ) =>
    optimizer.minimize(
      () =>
        tf.losses.meanSquaredError(
          y,
          tf.add(tf.matMul(x, variables['dense/kernel']!), variables['dense/bias']!),
        ),
      false,
      Object.values(variables),
    );
  return { newVariables, step };
}

const optimizers: [string, () => import('@tensorflow/tfjs').Optimizer][] = [
  ['momentum', () => tf.train.momentum(0.05, 0.9)],
  ['adam', () => tf.train.adam(0.01)],
  ['rmsprop', () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true)],
];

describe('optimizer state', () => {
  for (const [name, makeOptimizer] of optimizers) {
    it(`${name}: 3 steps, save, restore into new variables and optimizer, 3 steps == 6 uninterrupted`, async () => {
      const { newVariables, step } = makeProblem();
      const straight = newVariables();
      const straightOptimizer = makeOptimizer();
      for (let i = 0; i < 6; i++) step(straightOptimizer, straight);

      const first = newVariables();
      const firstOptimizer = makeOptimizer();
      for (let i = 0; i < 3; i++) step(firstOptimizer, first);
      const dir = freshDir();
      await saveCheckpoint(dir, {
        weights: first,
        optimizer: firstOptimizer,
        metadata: { step: 3 },
      });

      const resumed = newVariables(); // fresh values: the checkpoint must supply them
      const resumedOptimizer = makeOptimizer();
      const metadata = await restoreCheckpoint(dir, resumed, resumedOptimizer);
      expect(metadata).toEqual({ step: 3 });
      expect(resumedOptimizer.iterations).toBe(3);
      for (let i = 0; i < 3; i++) step(resumedOptimizer, resumed);

      for (const key of Object.keys(straight)) {
        expect(bits(resumed[key]!)).toEqual(bits(straight[key]!));
      }
      // a wrong restore must be visible: without optimizer state the result differs
      const naive = newVariables();
      const naiveOptimizer = makeOptimizer();
      await restoreCheckpoint(dir, naive);
      for (let i = 0; i < 3; i++) step(naiveOptimizer, naive);
      expect(bits(naive['dense/kernel']!)).not.toEqual(bits(straight['dense/kernel']!));
    });
  }

  it('slots are stored under checkpoint weight names in group "optimizer"', async () => {
    const { newVariables, step } = makeProblem();
    const variables = newVariables();
    const optimizer = tf.train.momentum(0.05, 0.9);
    step(optimizer, variables);
    const dir = freshDir();
    await saveCheckpoint(dir, { weights: variables, optimizer });
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const specs = modelJson.weightsManifest[0].weights as { name: string; group: string }[];
    expect(specs.map((s) => `${s.group}:${s.name}`)).toEqual([
      'model:dense/kernel',
      'model:dense/bias',
      'optimizer:iter',
      'optimizer:dense/kernel/momentum',
      'optimizer:dense/bias/momentum',
    ]);
    expect(modelJson.optimizer).toMatchObject({
      className: 'Momentum',
      iterations: 1,
      config: { learningRate: 0.05, momentum: 0.9 },
    });
  });

  it('errors: other optimizer class, reordered variables, slot of an unsaved variable', async () => {
    const { newVariables, step } = makeProblem();
    const variables = newVariables();
    const optimizer = tf.train.momentum(0.05, 0.9);
    step(optimizer, variables);
    const dir = freshDir();
    await saveCheckpoint(dir, { weights: variables, optimizer });

    await expect(restoreCheckpoint(dir, newVariables(), tf.train.adam())).rejects.toThrow(
      /expected optimizer state for Adam, got Momentum/,
    );
    const fresh = newVariables();
    const reordered = {
      'dense/bias': fresh['dense/bias']!,
      'dense/kernel': fresh['dense/kernel']!,
    };
    await expect(restoreCheckpoint(dir, reordered, tf.train.momentum(0.05, 0.9))).rejects.toThrow(
      /expected variables in the saved training order \[dense\/kernel, dense\/bias\], got \[dense\/bias, dense\/kernel\]/,
    );
    await expect(
      saveCheckpoint(freshDir(), {
        weights: { 'dense/kernel': variables['dense/kernel']! },
        optimizer,
      }),
    ).rejects.toThrow(/optimizer slot to belong to a saved weight, got slot ".*\/momentum"/);
  });
});

describe('IOHandlers for TensorFlow.js models', () => {
  it('a tf.LayersModel saved with weightsSaveHandler loads with tf.loadLayersModel and predicts the same', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 3, inputShape: [4], activation: 'relu' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const dir = freshDir();
    await model.save(weightsSaveHandler(dir));
    const loaded = await tf.loadLayersModel(weightsLoadHandler(dir));
    const input = tf.tensor2d([[1, -2, 3, 0.5]]);
    expect(bits(loaded.predict(input) as import('@tensorflow/tfjs').Tensor)).toEqual(
      bits(model.predict(input) as import('@tensorflow/tfjs').Tensor),
    );
  });
});
