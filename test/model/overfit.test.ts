import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAssembleNet,
  parseGenome,
  readGenome,
  selectBackend,
  tf,
  type AssembleNetwork,
  type Genome,
} from '../../src/index.ts';

// wasm with the engine's kernels: the stock cpu Conv2DBackpropFilter makes a step ~10x slower.
beforeAll(async () => {
  await selectBackend('wasm');
});

const FRAMES = 4;
const SIZE = 32;

/** A small fused graph with learnable edges and temporal dilation 1 everywhere. */
const SMALL: Genome = parseGenome({
  name: 'small-fused',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 },
    { stem: 'flow', temporal: 1 },
    { level: 0, inputs: [0, 1], filters: 32, dilation: 1, stride: 1 },
    { level: 1, inputs: [2, 0], filters: 64, dilation: 1, stride: 2 },
    { level: 2, inputs: [3, 2], filters: 128, dilation: 1, stride: 2 },
    { level: 3, inputs: [4], filters: 256, dilation: 1, stride: 2 },
  ],
});

/** Two clips of two classes, a few Adam steps in training mode; returns the losses. */
function overfit(network: AssembleNetwork, steps: number): number[] {
  const rgb = tf.randomUniform([2 * FRAMES, SIZE, SIZE, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const flow = tf.randomUniform([2 * FRAMES, SIZE, SIZE, 2], -1, 1, 'float32', 2) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 1], 'int32'), network.numClasses);
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(labels, network.apply({ rgb, flow }, true)) as tf.Scalar,
      true,
      network.trainableVariables,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  optimizer.dispose();
  tf.dispose([rgb, flow, labels]);
  return losses;
}

describe('tiny overfit (wasm backend)', () => {
  it('Adam on 2 clips reduces the loss and moves the learnable connection weights', () => {
    const network = createAssembleNet(SMALL, {
      numClasses: 2,
      frames: FRAMES,
      widthMultiplier: 1 / 16,
      temporalModules: 'even',
      seed: 5,
    });
    const before = network.connectionWeights();
    const losses = overfit(network, 8);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    const after = network.connectionWeights();
    expect(after.map((c) => c.node)).toEqual([2, 3, 4]);
    const moved = after.flatMap((c, i) =>
      c.weights.map((w, k) => Math.abs(w - before[i].weights[k])),
    );
    expect(Math.max(...moved)).toBeGreaterThan(1e-3);
    network.dispose();
  });

  // Temporal dilation > 1 relies on the engine's dilated Conv2D gradient (stock tfjs refuses it).
  it('AssembleNet-50 graph (dilations 2 and 4) at tiny scale reduces the loss', () => {
    const network = createAssembleNet(readGenome('evolution/assemblenet-50.json'), {
      numClasses: 2,
      frames: FRAMES,
      widthMultiplier: 1 / 16,
      modulesPerLevel: [1, 1, 1, 1],
      temporalModules: 'even',
      seed: 5,
    });
    const losses = overfit(network, 6);
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    network.dispose();
  });
});
