import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, selectBackend } from '../../src/engine/index.ts';
import { setHeapLimit } from '../../src/engine/memoryGuard.ts';
import type { Tensor2D, Tensor4D, Variable } from '../../src/engine/tf.ts';
import { shuffledBatches, type Batch } from '../../src/train/batches.ts';
import { listCheckpoints, readCheckpointState } from '../../src/train/checkpoint.ts';
import { batchAccuracy, softmaxCrossEntropy } from '../../src/train/losses.ts';
import { train, type TrainableModel } from '../../src/train/loop.ts';
import { SgdMomentum } from '../../src/train/optimizer.ts';
import { cosineSchedule, scheduleFromConfig, type LrSchedule } from '../../src/train/schedule.ts';
import type { StepRecord } from '../../src/train/records.ts';
import { Rng } from '../../src/util/random.ts';

const CLASSES = 4;
const SAMPLES = 20;
const SIZE = 8;

/** conv3x3(3->4) -> relu -> conv3x3(4->6) -> relu -> spatial mean -> dense(6->4). */
function tinyNet(init: 'random' | 'zeros', seed = 1): TrainableModel & { dispose(): void } {
  const rng = Rng.fromSeed(seed);
  const make = (shape: number[], name: string, scale: number): Variable => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () =>
      init === 'zeros' ? 0 : rng.normal(0, scale),
    );
    tf.engine().registeredVariables[name]?.dispose(); // a failed test must not break the next ones
    return tf.variable(tf.tensor(values, shape), true, name);
  };
  const named: Record<string, Variable> = {
    'conv1/kernel': make([3, 3, 3, 4], 'tiny/conv1/kernel', 0.3),
    'conv1/bias': make([4], 'tiny/conv1/bias', 0.1),
    'conv2/kernel': make([3, 3, 4, 6], 'tiny/conv2/kernel', 0.3),
    'head/kernel': make([6, CLASSES], 'tiny/head/kernel', 0.3),
  };
  const variables = new Map(Object.entries(named));
  return {
    variables,
    trainableVariables: [...variables.values()],
    apply(inputs: Record<string, Tensor4D>) {
      return tf.tidy(() => {
        let x = tf.relu(
          tf.add(
            tf.conv2d(inputs.rgb!, named['conv1/kernel'] as tf.Tensor4D, 1, 'same'),
            named['conv1/bias']!,
          ),
        );
        x = tf.relu(tf.conv2d(x as Tensor4D, named['conv2/kernel'] as tf.Tensor4D, 1, 'same'));
        return tf.matMul(tf.mean(x, [1, 2]) as Tensor2D, named['head/kernel'] as Tensor2D);
      });
    },
    dispose() {
      for (const v of variables.values()) v.dispose();
    },
  };
}

/** Synthetic dataset: noise plus a colour offset per class (label = sample % classes). */
const OFFSETS = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [-1, -1, -1],
];
const pixels = (() => {
  const rng = Rng.fromSeed('pixels');
  return Array.from({ length: SAMPLES }, (_, i) =>
    Float32Array.from(
      { length: SIZE * SIZE * 3 },
      (_, j) => rng.normal(0, 0.5) + OFFSETS[i % CLASSES]![j % 3]!,
    ),
  );
})();

function dataset(batchSize = 4, loads?: number[][]) {
  return shuffledBatches({
    count: SAMPLES,
    batchSize,
    prefetchDepth: 2,
    load: (indices, rng): Batch => {
      loads?.push(indices);
      const flip = rng.bernoulli(0.5); // augmentation from the batch's own generator
      return tf.tidy(() => {
        let rgb = tf.tensor4d(Float32Array.from(indices.flatMap((i) => Array.from(pixels[i]!))), [
          indices.length,
          SIZE,
          SIZE,
          3,
        ]);
        if (flip) rgb = tf.reverse(rgb, 2);
        return {
          inputs: { rgb },
          labels: tf.tensor1d(
            indices.map((i) => i % CLASSES),
            'int32',
          ),
        };
      });
    },
  });
}

const schedule = (): LrSchedule => cosineSchedule({ baseLr: 0.2, totalSteps: 7, warmupSteps: 2 });
const optimizer = () => new SgdMomentum({ momentum: 0.9, nesterov: true, weightDecay: 1e-3 });

function snapshot(model: TrainableModel): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, v] of model.variables as Map<string, Variable>)
    out[name] = Array.from(v.dataSync());
  return out;
}

let root: string;
beforeAll(async () => {
  await selectBackend((process.env.TRAIN_TEST_BACKEND as 'cpu' | 'wasm' | undefined) ?? 'wasm');
  root = await mkdtemp(join(tmpdir(), 'anet-train-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('train', () => {
  it('loss decreases on a learnable synthetic task; records carry lr/gradNorm/metric', async () => {
    const model = tinyNet('random');
    const opt = optimizer();
    const records: StepRecord[] = [];
    const result = await train({
      model,
      batches: dataset(),
      optimizer: opt,
      schedule: cosineSchedule({ baseLr: 0.1, totalSteps: 20, warmupSteps: 3 }),
      loss: softmaxCrossEntropy,
      metric: batchAccuracy,
      epochs: 4,
      seed: 3,
      onStep: (r) => {
        records.push(r);
      },
    });
    expect(result.stoppedBy).toBe('epochs');
    expect(result.progress.step).toBe(20);
    expect(result.progress.epochs.map((e) => e.steps)).toEqual(new Array(4).fill(5));
    expect(records[0]!.lr).toBe(0);
    expect(records[3]!.lr).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos((Math.PI * 3) / 20)), 9);
    expect(records.every((r) => r.gradNorm > 0 && r.examples === 4 && r.metric !== undefined)).toBe(
      true,
    );
    const epochs = result.progress.epochs;
    expect(epochs.at(-1)!.loss).toBeLessThan(epochs[0]!.loss * 0.7);
    model.dispose();
    opt.dispose();
  });

  it('a step limit on an epoch boundary closes that epoch; one inside an epoch cuts it', async () => {
    for (const [steps, closed] of [
      [10, [5, 5]],
      [7, [5]],
    ] as const) {
      const model = tinyNet('random');
      const opt = optimizer();
      const epochRecords: number[] = [];
      const result = await train({
        model,
        batches: dataset(),
        optimizer: opt,
        schedule: cosineSchedule({ baseLr: 0.1, totalSteps: steps, warmupSteps: 0 }),
        loss: softmaxCrossEntropy,
        steps,
        seed: 3,
        onEpoch: (r) => {
          epochRecords.push(r.steps);
        },
      });
      expect(result.stoppedBy).toBe('steps');
      expect(result.progress.step).toBe(steps);
      expect(result.progress.epochs.map((e) => e.steps)).toEqual(closed);
      expect(epochRecords).toEqual(closed);
      model.dispose();
      opt.dispose();
    }
  });

  // Only the wasm heap is guarded; TRAIN_TEST_BACKEND=cpu skips this one (and says so).
  it.skipIf(process.env.TRAIN_TEST_BACKEND === 'cpu')(
    'stops with an EngineError once the wasm heap has passed its limit, not computing on',
    async () => {
      expect(tf.getBackend()).toBe('wasm');
      const model = tinyNet('random');
      const opt = optimizer();
      const steps: number[] = [];
      setHeapLimit(1024 * 1024); // the heap is already larger than 1 MiB
      try {
        await expect(
          train({
            model,
            batches: dataset(),
            optimizer: opt,
            schedule: schedule(),
            loss: softmaxCrossEntropy,
            steps: 5,
            onStep: (r) => {
              steps.push(r.step);
            },
          }),
        ).rejects.toThrow(/wasm heap has already grown .* before training step 2; lower --batch/);
        expect(steps).toEqual([]);
      } finally {
        setHeapLimit(undefined);
        model.dispose();
        opt.dispose();
      }
    },
  );

  it('does not leak tensors: numTensors is flat from step 2 on, and back to base after', async () => {
    const model = tinyNet('random');
    const opt = optimizer();
    const counts: number[] = [];
    const base = tf.memory().numTensors;
    // batches made lazily with no read-ahead, so the count holds only what the loop keeps
    function* lazy(context: { rng: Rng }) {
      for (let b = 0; b < 5; b++) {
        const indices = [0, 1, 2, 3].map(() => context.rng.randInt(SAMPLES));
        yield {
          inputs: {
            rgb: tf.tensor4d(Float32Array.from(indices.flatMap((i) => Array.from(pixels[i]!))), [
              4,
              SIZE,
              SIZE,
              3,
            ]),
          },
          labels: tf.tensor1d(
            indices.map((i) => i % CLASSES),
            'int32',
          ),
        };
      }
    }
    await train({
      model,
      batches: lazy,
      optimizer: opt,
      schedule: schedule(),
      loss: softmaxCrossEntropy,
      metric: batchAccuracy,
      steps: 7,
      clipNorm: 0.5,
      onStep: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    expect(counts.slice(1)).toEqual(new Array(6).fill(counts[1]));
    expect(tf.memory().numTensors).toBe(base + 4); // the 4 momentum slots
    const before = tf.memory().numTensors;
    model.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before - 4 - 4); // 4 variables and 4 momentum slots
  });

  for (const split of [3, 5]) {
    it(`resume: 7 steps straight == ${split} steps, crash, fresh objects, resume to 7 (bitwise)`, async () => {
      const straightModel = tinyNet('random');
      const straightOpt = optimizer();
      const straightLoads: number[][] = [];
      await train({
        model: straightModel,
        batches: dataset(4, straightLoads),
        optimizer: straightOpt,
        schedule: schedule(),
        loss: softmaxCrossEntropy,
        steps: 7,
        seed: 11,
      });
      const expected = snapshot(straightModel);
      straightModel.dispose();
      straightOpt.dispose();

      const dir = join(root, `resume-${split}`);
      const first = tinyNet('random');
      const firstOpt = optimizer();
      await expect(
        train({
          model: first,
          batches: dataset(),
          optimizer: firstOpt,
          schedule: schedule(),
          loss: softmaxCrossEntropy,
          steps: 7,
          seed: 11,
          checkpoint: {
            dir,
            everySteps: split,
            atEpochEnd: false,
            meta: { classes: ['a', 'b', 'c', 'd'], genome: [[-1, 4]] },
          },
          onStep: (r) => {
            if (r.step === split + 1) throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      first.dispose();
      firstOpt.dispose();
      const saved = await listCheckpoints(dir);
      expect(saved.map((c) => c.step)).toEqual([split]);
      const state = await readCheckpointState(saved[0]!.path);
      expect(state.classes).toEqual(['a', 'b', 'c', 'd']);
      expect(state.progress.batchInEpoch).toBe(split); // epoch 0 has 5 batches

      const fresh = tinyNet('zeros');
      const freshOpt = optimizer();
      const resumedLoads: number[][] = [];
      let startStep = -1;
      const result = await train({
        onStart: ({ progress }) => {
          startStep = progress.step;
        },
        model: fresh,
        batches: dataset(4, resumedLoads),
        optimizer: freshOpt,
        schedule: scheduleFromConfig(state.schedule),
        loss: softmaxCrossEntropy,
        steps: 7,
        seed: 999,
        resume: dir,
        checkpoint: { dir, atEpochEnd: false },
      });
      expect(result.resumedFrom).toBe(saved[0]!.path);
      expect(startStep).toBe(split);
      expect(result.progress.step).toBe(7);
      expect(freshOpt.iterations).toBe(7);
      // the resumed run loaded exactly the batches the straight run used after the split
      expect(resumedLoads).toEqual(straightLoads.slice(straightLoads.length - resumedLoads.length));
      expect(snapshot(fresh)).toEqual(expected);
      expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([split, 7]);
      fresh.dispose();
      freshOpt.dispose();
    });
  }

  it('checkpoints: keep last N, atomic folders only, epoch-end saves', async () => {
    const dir = join(root, 'keep');
    const model = tinyNet('random');
    const opt = optimizer();
    await train({
      model,
      batches: dataset(),
      optimizer: opt,
      schedule: schedule(),
      loss: softmaxCrossEntropy,
      epochs: 3,
      checkpoint: { dir, everySteps: 2, keep: 2 },
    });
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['step-00000014', 'step-00000015']);
    const last = await readCheckpointState(join(dir, 'step-00000015'));
    expect(last.epoch).toBe(3);
    expect(last.progress.epochSeed).toBeNull();
    expect(last.progress.epochs).toHaveLength(3);
    expect(last.optimizer.className).toBe('SgdMomentum');
    model.dispose();
    opt.dispose();
  });

  it('plain iterable: one pass, stoppedBy exhausted; abort signal stops after the step', async () => {
    const model = tinyNet('random');
    const opt = optimizer();
    const batches = Array.from({ length: 3 }, (_, i) => ({
      inputs: { rgb: tf.tensor4d(pixels[i]!, [1, SIZE, SIZE, 3]) },
      labels: tf.tensor1d([i % CLASSES], 'int32'),
    }));
    const result = await train({
      model,
      batches,
      optimizer: opt,
      schedule: schedule(),
      loss: softmaxCrossEntropy,
    });
    expect(result.stoppedBy).toBe('exhausted');
    expect(result.progress.step).toBe(3);
    const controller = new AbortController();
    const aborted = await train({
      model,
      batches: dataset(),
      optimizer: opt,
      schedule: schedule(),
      loss: softmaxCrossEntropy,
      steps: 100,
      signal: controller.signal,
      onStep: (r) => {
        if (r.step === 2) controller.abort();
      },
    });
    expect(aborted.stoppedBy).toBe('aborted');
    expect(aborted.progress.step).toBe(2);
    model.dispose();
    opt.dispose();
  });

  it('non-finite loss fails with the step number', async () => {
    const model = tinyNet('random');
    const opt = optimizer();
    await expect(
      train({
        model,
        batches: dataset(),
        optimizer: opt,
        schedule: schedule(),
        steps: 2,
        loss: (logits) => tf.mul(tf.sum(logits), NaN) as tf.Scalar,
      }),
    ).rejects.toThrow(/finite loss.*step 1/);
    model.dispose();
    opt.dispose();
  });
});
