import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../../src/engine/index.ts';
import { epochPlan, shuffledBatches, type Batch } from '../../src/train/batches.ts';
import { Rng } from '../../src/util/random.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('epochPlan', () => {
  it('10 samples, batch 4: two full batches (remainder dropped) or three when kept; a permutation', () => {
    const plan = epochPlan(Rng.fromSeed(1), { count: 10, batchSize: 4 });
    expect(plan.map((b) => b.length)).toEqual([4, 4]);
    const kept = epochPlan(Rng.fromSeed(1), { count: 10, batchSize: 4, dropRemainder: false });
    expect(kept.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(kept.slice(0, 2)).toEqual(plan);
    expect(epochPlan(Rng.fromSeed(1), { count: 5, batchSize: 2, shuffle: false })).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(() => epochPlan(Rng.fromSeed(1), { count: 5, batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('shuffledBatches', () => {
  async function collect(startBatch: number) {
    const seen: { indices: number[]; draw: number }[] = [];
    const source = shuffledBatches({
      count: 12,
      batchSize: 3,
      concurrency: 2,
      load: (indices, rng): Batch => {
        seen.push({ indices, draw: rng.nextUint32() });
        return {
          inputs: { rgb: tf.zeros([indices.length, 1, 1, 1]) },
          labels: tf.tensor1d(indices, 'int32'),
        };
      },
    });
    const labels: number[][] = [];
    for await (const batch of source({ epoch: 0, rng: Rng.fromSeed(77), startBatch })) {
      labels.push(Array.from(batch.labels.dataSync()));
      tf.dispose([batch.labels, ...Object.values(batch.inputs)]);
    }
    return { labels, seen };
  }

  it('startBatch k yields the same batches (and per-batch RNG draws) as the full epoch from batch k', async () => {
    const full = await collect(0);
    const resumed = await collect(2);
    expect(full.labels).toHaveLength(4);
    expect(resumed.labels).toEqual(full.labels.slice(2));
    expect(resumed.seen).toEqual(full.seen.slice(2));
  });

  it('leaves no tensors behind when the consumer stops early', async () => {
    const before = tf.memory().numTensors;
    const source = shuffledBatches({
      count: 12,
      batchSize: 2,
      concurrency: 2,
      prefetchDepth: 3,
      load: (indices): Batch => ({
        inputs: { rgb: tf.zeros([indices.length, 1, 1, 1]) },
        labels: tf.tensor1d(indices, 'int32'),
      }),
    });
    for await (const batch of source({ epoch: 0, rng: Rng.fromSeed(1), startBatch: 0 })) {
      tf.dispose([batch.labels, ...Object.values(batch.inputs)]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tf.memory().numTensors).toBe(before);
  });
});
