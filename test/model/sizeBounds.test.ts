/**
 * Sizes have upper bounds: genome, run settings and dataset specs are refused by their schemas
 * with the bound named; a network too large as a whole is refused before any weight exists.
 */
import { describe, expect, it } from 'vitest';
import { parseSyntheticSpec } from '../../datasets/synthetic/spec.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import { InputError } from '../../src/errors.ts';
import { tf } from '../../src/engine/tf.ts';
import { GENOME_BOUNDS, parseGenome } from '../../src/model/genome.ts';
import { MAX_NETWORK_PARAMETERS, createAssembleNet } from '../../src/model/network.ts';
import { countParameters } from '../../src/model/scaling.ts';
import { thrown } from '../fixtures/thrown.ts';

function genomeWith(filters: number, modules = 1) {
  return {
    name: 'big',
    modulesPerLevel: [modules, modules, modules, modules],
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { level: 0, inputs: [0], filters, dilation: 1, stride: 1 },
      { level: 1, inputs: [1], filters, dilation: 1, stride: 2 },
      { level: 2, inputs: [2], filters, dilation: 1, stride: 2 },
      { level: 3, inputs: [3], filters, dilation: 1, stride: 2 },
    ],
  };
}

describe('genome bounds', () => {
  it('filters 40000 and 1e9 are schema errors naming the node and the bound (no RangeError, no allocation)', () => {
    for (const filters of [40000, 1e9]) {
      const error = thrown(() => parseGenome(genomeWith(filters), 'big.json'));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(
        `nodes[1].filters: Too big: expected number to be <=${GENOME_BOUNDS.filters}`,
      );
      expect(error.message).toContain('(big.json)');
    }
  });

  it('a genome inside the per-field bounds but too big as a whole is refused before a weight exists, saying what to lower', async () => {
    await tf.setBackend('cpu');
    const genome = parseGenome(genomeWith(GENOME_BOUNDS.filters, 8));
    const { total } = countParameters(genome, { numClasses: 400 });
    expect(total).toBeGreaterThan(MAX_NETWORK_PARAMETERS);
    const tensorsBefore = tf.memory().numTensors;
    const error = thrown(() => createAssembleNet(genome, { numClasses: 400, frames: 8 }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      `model: expected at most ${MAX_NETWORK_PARAMETERS} parameters, got ${total} for genome big; ` +
        "lower the genome's filters or modulesPerLevel, or the width multiplier (now 1)",
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe('run settings and dataset specs', () => {
  it('run settings: frames, size, batch and modules have upper bounds', () => {
    const error = thrown(() =>
      parseRunConfig({ frames: 100000, size: 50000, batch: 1e6, modules: [1, 1, 1000, 1] }),
    );
    expect(error.message).toMatch(/frames: Too big: expected number to be <=512/);
    expect(error.message).toMatch(/size: Too big: expected number to be <=1024/);
    expect(error.message).toMatch(/batch: Too big: expected number to be <=4096/);
    expect(error.message).toMatch(/modules\.2: Too big: expected number to be <=64/);
  });

  it('dataset spec: video and class counts have upper bounds', () => {
    const spec = {
      kind: 'motion',
      name: 'huge',
      video: { width: 64, height: 64, frames: 8, fps: 8 },
      videosPerClass: 1e9,
      splits: { train: 1, val: 0, test: 0 },
      classes: [
        { name: 'a', motion: { kind: 'translate', direction: 0, speed: 1 } },
        { name: 'b', motion: { kind: 'translate', direction: 90, speed: 1 } },
      ],
      scene: { objects: [1, 100000] },
    };
    const error = thrown(() => parseSyntheticSpec(spec));
    expect(error.message).toMatch(/videosPerClass: Too big: expected number to be <=100000/);
    expect(error.message).toMatch(/scene\.objects\[1\]: Too big: expected number to be <=64/);
  });
});
