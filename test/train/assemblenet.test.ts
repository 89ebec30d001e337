import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SgdMomentum,
  cosineSchedule,
  createAssembleNet,
  parseGenome,
  selectBackend,
  shuffledBatches,
  softmaxCrossEntropy,
  tf,
  train,
  type AssembleNetwork,
  type Genome,
} from '../../src/index.ts';
import { Rng } from '../../src/util/random.ts';

// The real network through the public API, on wasm (the engine's kernels make training fast there).
const FRAMES = 2;
const SIZE = 16;
const GENOME: Genome = parseGenome({
  name: 'train-resume',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 },
    { stem: 'flow', temporal: 1 },
    { level: 0, inputs: [0, 1], filters: 32, dilation: 1, stride: 1 },
    { level: 1, inputs: [2], filters: 64, dilation: 1, stride: 2 },
    { level: 2, inputs: [3, 2], filters: 128, dilation: 1, stride: 2 },
    { level: 3, inputs: [4], filters: 256, dilation: 1, stride: 2 },
  ],
});

const network = () =>
  createAssembleNet(GENOME, {
    numClasses: 3,
    frames: FRAMES,
    widthMultiplier: 1 / 16,
    temporalModules: 'even',
    seed: 5,
  });

const batches = () =>
  shuffledBatches({
    count: 6,
    batchSize: 2,
    load: (indices) => {
      const rng = Rng.fromSeed(indices.join(','));
      const clip = (channels: number) =>
        tf.tensor4d(
          Float32Array.from({ length: indices.length * FRAMES * SIZE * SIZE * channels }, () =>
            rng.uniform(-1, 1),
          ),
          [indices.length * FRAMES, SIZE, SIZE, channels],
        );
      return {
        inputs: { rgb: clip(3), flow: clip(2) },
        labels: tf.tensor1d(
          indices.map((i) => i % 3),
          'int32',
        ),
      };
    },
  });

const common = () => ({
  schedule: cosineSchedule({ baseLr: 0.05, totalSteps: 4, warmupSteps: 1 }),
  loss: softmaxCrossEntropy,
  steps: 4,
  seed: 'assemblenet',
});

function values(net: AssembleNetwork): Record<string, number[]> {
  return Object.fromEntries(
    [...net.variables].map(([name, v]) => [name, Array.from(v.dataSync())]),
  );
}

let root: string;
beforeAll(async () => {
  await selectBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'anet-train-net-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('train() with createAssembleNet', () => {
  it('4 steps straight == 2 steps + checkpoint + a new network instance resumed to 4 (BN statistics included)', async () => {
    const straight = network();
    const straightOpt = new SgdMomentum({ momentum: 0.9, weightDecay: 1e-4 });
    await train({ model: straight, batches: batches(), optimizer: straightOpt, ...common() });
    const expected = values(straight);
    straight.dispose();
    straightOpt.dispose();

    const dir = join(root, 'run');
    const first = network();
    const firstOpt = new SgdMomentum({ momentum: 0.9, weightDecay: 1e-4 });
    await train({
      model: first,
      batches: batches(),
      optimizer: firstOpt,
      ...common(),
      steps: 2,
      checkpoint: { dir, meta: { genome: GENOME } },
    });
    first.dispose();
    firstOpt.dispose();

    // engine variable names differ per instance; the checkpoint maps by stable names
    const second = network();
    const secondOpt = new SgdMomentum({ momentum: 0.9, weightDecay: 1e-4 });
    const result = await train({
      model: second,
      batches: batches(),
      optimizer: secondOpt,
      ...common(),
      resume: dir,
    });
    expect(result.progress.step).toBe(4);
    const got = values(second);
    expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
    for (const name of Object.keys(expected)) expect(got[name], name).toEqual(expected[name]);
    second.dispose();
    secondOpt.dispose();
  });
});
