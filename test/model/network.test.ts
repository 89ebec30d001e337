import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countParameters,
  createAssembleNet,
  estimateFlops,
  fromOfficial,
  InputError,
  parseGenome,
  readGenome,
  stripConnectionWeights,
  tf,
  toOfficial,
  type Genome,
  type NetworkOptions,
} from '../../src/index.ts';

type Tensor4D = tf.Tensor4D;

const TINY: Omit<NetworkOptions, 'numClasses'> & { numClasses: number } = {
  numClasses: 3,
  frames: 4,
  widthMultiplier: 1 / 16,
  modulesPerLevel: [1, 1, 1, 1],
};
const RESOLUTION = 32;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every genome JSON under evolution/ (files with a top-level "nodes" list). */
function genomeFiles(dir = 'evolution'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return genomeFiles(path);
    if (!entry.name.endsWith('.json')) return [];
    const value = JSON.parse(readFileSync(path, 'utf8')) as { nodes?: unknown };
    return Array.isArray(value.nodes) ? [path] : [];
  });
}

function clipInputs(genome: Genome, batch: number, frames: number, size: number, seed = 7) {
  const types = new Set(genome.nodes.flatMap((node) => ('stem' in node ? [node.stem] : [])));
  const inputs: Partial<Record<'rgb' | 'flow' | 'segmentation', Tensor4D>> = {};
  const channels = { rgb: 3, flow: 2, segmentation: 1 } as const;
  for (const type of types) {
    inputs[type] = tf.randomUniform(
      [batch * frames, size, size, channels[type]],
      -1,
      1,
      'float32',
      seed + channels[type],
    ) as Tensor4D;
  }
  return inputs;
}

function builtCount(variables: Iterable<{ size: number; trainable: boolean }>) {
  let trainable = 0;
  let nonTrainable = 0;
  for (const v of variables) {
    if (v.trainable) trainable += v.size;
    else nonTrainable += v.size;
  }
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

describe('every genome in evolution/', () => {
  const files = genomeFiles();
  it('includes the published and baseline genomes', () => {
    const names = files.map((file) => relative('evolution', file));
    expect(names).toEqual(
      expect.arrayContaining([
        'assemblenet-50.json',
        'assemblenet-101.json',
        'two-stream-late-fusion.json',
      ]),
    );
  });
  for (const file of files) {
    it(`${file}: validates, builds at tiny scale, forward [B, classes] finite, no leak`, () => {
      const genome = readGenome(file);
      const network = createAssembleNet(genome, TINY);
      const inputs = clipInputs(genome, 2, TINY.frames, RESOLUTION);
      const before = tf.memory().numTensors;
      const logits = network.apply(inputs, true);
      expect(logits.shape).toEqual([2, TINY.numClasses]);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      const probabilities = network.probabilities(logits);
      const sums = tf.sum(probabilities, 1);
      sums.dataSync().forEach((s) => expect(s).toBeCloseTo(1, 5));
      tf.dispose([logits, probabilities, sums]);
      // BN running statistics were re-assigned, not added: the tensor count is unchanged.
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(inputs));
      network.dispose();
    });
  }
});

describe('parameter count: built variables == closed-form formula', () => {
  const asn50 = readGenome('evolution/assemblenet-50.json');
  const learned = stripConnectionWeights(asn50);
  const settings: [string, Genome, Partial<NetworkOptions>][] = [
    [
      'AN-50 frozen weights, modules [2,2,2,2], temporal odd',
      asn50,
      { modulesPerLevel: [2, 2, 2, 2], temporalModules: 'odd' },
    ],
    [
      'AN-50 learned weights, modules [1,3,1,2], temporal even',
      learned,
      { modulesPerLevel: [1, 3, 1, 2], temporalModules: 'even' },
    ],
    [
      'AN-50 fast-normalised, width 1/8',
      { ...learned, fusion: 'fast-normalised' },
      { widthMultiplier: 1 / 8 },
    ],
  ];
  for (const [name, genome, extra] of settings) {
    it(name, () => {
      const options = {
        ...TINY,
        modulesPerLevel: [1, 1, 1, 1] as [number, number, number, number],
        ...extra,
      };
      const network = createAssembleNet(genome, options);
      expect(builtCount(network.variables.values())).toEqual(countParameters(genome, options));
      network.dispose();
    });
  }

  it('full-size AssembleNet-50 / -101 formulas: learned weights add one parameter per multi-input edge', () => {
    const frozen = countParameters(asn50, { numClasses: 400 });
    const free = countParameters(learned, { numClasses: 400 });
    const edges = asn50.nodes.reduce(
      (sum, node) => sum + ('inputs' in node && node.inputs.length > 1 ? node.inputs.length : 0),
      0,
    );
    expect(free.trainable - frozen.trainable).toBe(edges);
    const asn101 = countParameters(readGenome('evolution/assemblenet-101.json'), {
      numClasses: 400,
    });
    expect(asn101.total).toBeGreaterThan(frozen.total);
  });
});

describe('connection weights', () => {
  it('frozen when the genome gives them (constants, no variable), learnable otherwise', () => {
    const asn50 = readGenome('evolution/assemblenet-50.json');
    const frozenNet = createAssembleNet(asn50, TINY);
    expect([...frozenNet.variables.keys()].filter((key) => key.includes('edge_weights'))).toEqual(
      [],
    );
    const reported = frozenNet.connectionWeights();
    expect(reported.map((c) => c.node)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    for (const connection of reported) {
      expect(connection.frozen).toBe(true);
      const given = (asn50.nodes[connection.node] as { weights: number[] }).weights;
      connection.weights.forEach((w, k) => expect(w).toBeCloseTo(given[k], 6));
    }
    frozenNet.dispose();

    const learned = fromOfficial(toOfficial(asn50).structure, { name: 'asn50-learn', depth: 50 });
    const learnNet = createAssembleNet(learned, TINY);
    const edgeVariable = learnNet.variables.get('node8/fusion/edge_weights');
    expect(edgeVariable?.trainable).toBe(true);
    expect(learnNet.trainableVariables).toContain(edgeVariable);
    for (const connection of learnNet.connectionWeights()) {
      expect(connection.frozen).toBe(false);
      connection.weights.forEach((w) => expect(w).toBeCloseTo(0.5, 1));
    }
    edgeVariable!.assign(tf.tensor1d([0, Math.log(3), -Math.log(3), 2, -2]));
    const node8 = learnNet.connectionWeights().find((c) => c.node === 8)!;
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    node8.weights.forEach((w, k) =>
      expect(w).toBeCloseTo(sigmoid([0, Math.log(3), -Math.log(3), 2, -2][k]), 6),
    );
    learnNet.dispose();
  });
});

describe('conv3d reference build', () => {
  it('gives the same logits and features as the 4-D build (AN-50 graph, dilations 1/2/4, frames 8)', () => {
    const genome = readGenome('evolution/assemblenet-50.json');
    const options = {
      ...TINY,
      frames: 8,
      modulesPerLevel: [2, 1, 2, 1] as [number, number, number, number],
      seed: 11,
    };
    const fast = createAssembleNet(genome, options);
    const reference = createAssembleNet(genome, { ...options, conv: 'conv3d' });
    const inputs = clipInputs(genome, 1, 8, RESOLUTION);
    // Same seed, same variable order -> same weights; the head kernel is N(0, .01): scale it up.
    for (const net of [fast, reference])
      net.variables
        .get('head/dense/kernel')!
        .assign(tf.mul(net.variables.get('head/dense/kernel')!, 100));
    const a = fast.apply(inputs, true);
    const b = reference.apply(inputs, true);
    const fa = fast.features(inputs, false);
    const fb = reference.features(inputs, false);
    expect(Math.max(...tf.abs(tf.sub(a, b)).dataSync())).toBeLessThan(1e-4);
    expect(Math.max(...tf.abs(tf.sub(fa, fb)).dataSync())).toBeLessThan(1e-4);
    expect(Math.max(...tf.abs(a).dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([a, b, fa, fb, ...Object.values(inputs)]);
    fast.dispose();
    reference.dispose();
  });
});

describe('network interface', () => {
  const genome = readGenome('evolution/two-stream-late-fusion.json');

  it('features [B, C] -> head -> logits equals apply; multiLabel probabilities are sigmoids', () => {
    const network = createAssembleNet(genome, { ...TINY, multiLabel: true });
    const inputs = clipInputs(genome, 2, TINY.frames, RESOLUTION);
    const features = network.features(inputs);
    expect(features.shape).toEqual([2, network.featureChannels]);
    const viaHead = network.head(features);
    const direct = network.apply(inputs);
    expect(Array.from(viaHead.dataSync())).toEqual(Array.from(direct.dataSync()));
    const probabilities = network.probabilities(direct);
    const expected = tf.sigmoid(direct);
    expect(Array.from(probabilities.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([features, viaHead, direct, probabilities, expected, ...Object.values(inputs)]);
    network.dispose();
  });

  it('names the problem with wrong inputs', () => {
    const network = createAssembleNet(genome, TINY);
    const rgb = tf.zeros([8, 32, 32, 3]) as Tensor4D;
    expect(() => network.apply({ rgb })).toThrow(InputError);
    expect(() => network.apply({ rgb })).toThrow(
      'model: expected a "flow" input [B*4, H, W, 2], got none',
    );
    const flow = tf.zeros([8, 32, 32, 3]) as Tensor4D;
    expect(() => network.apply({ rgb, flow })).toThrow(
      'model: expected "flow" input [B*4, H, W, 2], got [8,32,32,3]',
    );
    const shortFlow = tf.zeros([6, 32, 32, 2]) as Tensor4D;
    expect(() => network.apply({ rgb, flow: shortFlow })).toThrow(/got \[6,32,32,2\]/);
    tf.dispose([rgb, flow, shortFlow]);
    network.dispose();
  });

  it('two networks of one genome coexist (unique engine names) and a seed fixes the weights', () => {
    const a = createAssembleNet(genome, { ...TINY, seed: 3 });
    const b = createAssembleNet(genome, { ...TINY, seed: 3 });
    const key = 'node2/block/module0/spatial/filter';
    expect(Array.from(a.variables.get(key)!.dataSync())).toEqual(
      Array.from(b.variables.get(key)!.dataSync()),
    );
    expect(a.variables.get(key)!.name).toBe(`two-stream-late-fusion/${key}`);
    expect(b.variables.get(key)!.name).toBe(`two-stream-late-fusion_2/${key}`);
    expect(Object.keys(a.namedVariables())).toEqual([...a.variables.keys()]);
    a.dispose();
    b.dispose();
  });
});

describe('segmentation stem (AssembleNet++ object input)', () => {
  it('reads inputs.segmentation with segmentationChannels channels', () => {
    const genome = fromOfficial(
      [
        [-1, 2],
        [-3, 1],
        [0, [0, 1], 32, 1, 1, 0],
        [3, [2], 64, 2, 2, 0],
      ],
      { name: 'seg', depth: 50 },
    );
    const options = { ...TINY, segmentationChannels: 5 };
    const network = createAssembleNet(genome, options);
    expect(builtCount(network.variables.values())).toEqual(countParameters(genome, options));
    const rgb = tf.randomUniform([TINY.frames, RESOLUTION, RESOLUTION, 3]) as Tensor4D;
    const segmentation = tf.randomUniform([TINY.frames, RESOLUTION, RESOLUTION, 5]) as Tensor4D;
    const logits = network.apply({ rgb, segmentation });
    expect(logits.shape).toEqual([1, TINY.numClasses]);
    tf.dispose([rgb, segmentation, logits]);
    network.dispose();
  });
});

describe('estimateFlops', () => {
  it('matches a hand count (flow stem + one level-3 block)', () => {
    const genome = parseGenome({
      name: 'hand',
      modulesPerLevel: [1, 1, 1, 1],
      nodes: [
        { stem: 'flow', temporal: 1 },
        { level: 3, inputs: [0], filters: 4, dilation: 1, stride: 2 },
      ],
    });
    // 16x16 input: stem conv at 8x8 (7*7*2 -> 128), pool to 4x4; block: projection 2x2x128x16,
    // 1x1 4x4x128x4, 3x3 2x2x9x4x512, expand 2x2x512x16; dense 16x2.
    const macs =
      64 * 98 * 128 + 4 * 128 * 16 + 16 * 128 * 4 + 4 * 9 * 4 * 512 + 4 * 512 * 16 + 16 * 2;
    expect(estimateFlops(genome, { numClasses: 2, frames: 1, resolution: 16 })).toEqual({
      macs,
      flops: 2 * macs,
    });
    expect(estimateFlops(genome, { numClasses: 2, frames: 3, resolution: 16 }).macs).toBe(
      3 * (macs - 32) + 32,
    );
  });
});
