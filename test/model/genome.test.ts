import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  fromOfficial,
  InputError,
  parseGenome,
  readGenome,
  safeFromOfficial,
  safeParseGenome,
  safeReadGenome,
  toOfficial,
  type Genome,
} from '../../src/index.ts';

// The published lists (docs/architecture.md; tensorflow/models official/projects/assemblenet/configs),
// written out here independently of evolution/*.json.
const ASN50 = [
  [-1, 4],
  [-1, 4],
  [-2, 1],
  [-2, 1],
  [0, [1], 32, 1, 1, 0],
  [0, [0], 32, 4, 1, 0],
  [0, [0, 1, 2, 3], 32, 1, 1, 0],
  [0, [2, 3], 32, 2, 1, 0],
  [1, [0, 4, 5, 6, 7], 64, 2, 2, 0],
  [1, [0, 2, 4, 7], 64, 1, 2, 0],
  [1, [0, 5, 7], 64, 4, 2, 0],
  [1, [0, 5], 64, 1, 2, 0],
  [2, [4, 8, 10, 11], 256, 1, 2, 0],
  [2, [8, 9], 256, 4, 2, 0],
  [3, [12, 13], 512, 2, 2, 0],
];
// AssembleNet-101 has the same graph; only the level-2 and level-3 filters differ (192, 192, 256).
const ASN101 = ASN50.map((node, index) => {
  const filters: Record<number, number> = { 12: 192, 13: 192, 14: 256 };
  return index in filters ? [node[0], node[1], filters[index], ...node.slice(3)] : node;
});
const ASN_WEIGHTS = [
  [],
  [],
  [],
  [],
  [],
  [],
  [[0.13810564577579498, 0.8465337157249451, 0.3072969317436218, 0.2867436408996582]],
  [[0.5846117734909058, 0.6066334843635559]],
  [
    [
      0.16382087767124176, 0.8852924704551697, 0.4039595425128937, 0.6823437809944153,
      0.5331538319587708,
    ],
  ],
  [[0.028569204732775688, 0.10333596915006638, 0.7517264485359192, 0.9260114431381226]],
  [[0.28832191228866577, 0.7627848982810974, 0.404977947473526]],
  [[0.23474831879138947, 0.7841425538063049]],
  [[0.27616503834724426, 0.9514784812927246, 0.6568767428398132, 0.9547983407974243]],
  [[0.5047007203102112, 0.8876819610595703]],
  [[0.9892204403877258, 0.8454614877700806]],
];
// docs/architecture.md's rounded weights, to check the JSON files against a second source.
const DESIGN_WEIGHTS: Record<number, number[]> = {
  6: [0.138, 0.847, 0.307, 0.287],
  7: [0.585, 0.607],
  8: [0.164, 0.885, 0.404, 0.682, 0.533],
  9: [0.029, 0.103, 0.752, 0.926],
  10: [0.288, 0.763, 0.405],
  11: [0.235, 0.784],
  12: [0.276, 0.951, 0.657, 0.955],
  13: [0.505, 0.888],
  14: [0.989, 0.845],
};

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function tinyGenome(): Record<string, unknown> {
  return {
    name: 'tiny',
    modulesPerLevel: [1, 1, 1, 1],
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { stem: 'flow', temporal: 1 },
      { level: 0, inputs: [0, 1], filters: 8, dilation: 1, stride: 1 },
      { level: 1, inputs: [2], filters: 8, dilation: 1, stride: 2 },
      { level: 2, inputs: [3], filters: 8, dilation: 1, stride: 2 },
      { level: 3, inputs: [4, 2], filters: 8, dilation: 1, stride: 2 },
    ],
  };
}

function issuesOf(value: unknown): string[] {
  const result = safeParseGenome(value);
  return result.success ? [] : result.issues.map(formatIssue);
}

describe('official flat list <-> genome', () => {
  for (const [name, depth, structure] of [
    ['assemblenet-50', 50, ASN50],
    ['assemblenet-101', 101, ASN101],
  ] as const) {
    it(`${name}: structure and edge weights round-trip exactly`, () => {
      const genome = fromOfficial(clone(structure), {
        name,
        depth,
        edgeWeights: clone(ASN_WEIGHTS),
      });
      expect(genome.modulesPerLevel).toEqual(depth === 50 ? [3, 4, 6, 3] : [3, 4, 23, 3]);
      const back = toOfficial(genome);
      expect(back.structure).toStrictEqual(structure);
      expect(back.edgeWeights).toStrictEqual(ASN_WEIGHTS);
    });

    it(`${name}: without weights round-trips with edge weights []`, () => {
      const genome = fromOfficial(clone(structure), { name, depth });
      expect(genome.nodes.some((node) => 'weights' in node)).toBe(false);
      expect(toOfficial(genome)).toStrictEqual({ structure, edgeWeights: [] });
    });

    it(`evolution/${name}.json encodes the published graph and weights`, () => {
      const genome = readGenome(join('evolution', `${name}.json`));
      const back = toOfficial(genome);
      expect(back.structure).toStrictEqual(structure);
      expect(back.edgeWeights).toStrictEqual(ASN_WEIGHTS);
      for (const [node, rounded] of Object.entries(DESIGN_WEIGHTS)) {
        const weights = (genome.nodes[Number(node)] as { weights: number[] }).weights;
        weights.forEach((w, k) => expect(w).toBeCloseTo(rounded[k], 3));
      }
    });
  }

  it('AssembleNet++ structure with a segmentation stem round-trips', () => {
    const structure = [
      [-1, 2],
      [-1, 4],
      [-2, 2],
      [-2, 1],
      [-3, 4],
      [0, [0, 1, 2, 3, 4], 32, 1, 1, 0],
      [1, [5, 4], 64, 4, 2, 0],
      [2, [6], 256, 8, 2, 0],
      [3, [7, 5], 512, 2, 2, 0],
    ];
    const genome = fromOfficial(clone(structure), { name: 'asnp', depth: 50 });
    expect(genome.nodes[4]).toEqual({ stem: 'segmentation', temporal: 4 });
    expect(toOfficial(genome).structure).toStrictEqual(structure);
  });

  it('reports errors with paths into the flat list', () => {
    const bad = clone(ASN50) as unknown[][];
    bad[2] = [-4, 1];
    (bad[9][1] as number[])[2] = 11;
    const result = safeFromOfficial(bad, { name: 'bad', depth: 50 });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.issues.map(formatIssue)).toEqual([
      'structure[2][0]: unknown stem type -4 (expected -1 rgb, -2 flow, -3 segmentation)',
    ]);
    bad[2] = [-2, 1];
    const second = safeFromOfficial(bad, { name: 'bad', depth: 50 });
    expect(second.success ? [] : second.issues.map(formatIssue)).toEqual([
      'structure[9][1][2]: input 11 is not below node 9',
    ]);
    const weights = clone(ASN_WEIGHTS);
    weights[7] = [[0.5, 1.5]];
    const third = safeFromOfficial(clone(ASN50), { name: 'w', depth: 50, edgeWeights: weights });
    expect(third.success ? [] : third.issues.map(formatIssue)).toEqual([
      'edgeWeights[7][0][1]: expected a sigmoid value in (0, 1), got 1.5',
    ]);
    expect(() => fromOfficial([[0, [0], 32, 1, 1, 0]], { name: 'x', depth: 50 })).toThrow(
      InputError,
    );
  });
});

describe('genome validation', () => {
  it('accepts a valid genome and fills modulesPerLevel from depth', () => {
    const value = tinyGenome();
    expect(issuesOf(value)).toEqual([]);
    const withDepth = { ...tinyGenome(), modulesPerLevel: undefined, depth: 101 };
    expect((parseGenome(withDepth) as Genome).modulesPerLevel).toEqual([3, 4, 23, 3]);
  });

  const cases: [
    string,
    (g: { nodes: Record<string, unknown>[] } & Record<string, unknown>) => void,
    string[],
  ][] = [
    [
      'input of higher index (cycle)',
      (g) => (g.nodes[3].inputs = [2, 5]),
      ['nodes[3].inputs[1]: input 5 is not below node 3'],
    ],
    [
      'input equal to own index',
      (g) => (g.nodes[2].inputs = [2]),
      ['nodes[2].inputs[0]: input 2 is not below node 2'],
    ],
    ['no inputs', (g) => (g.nodes[3].inputs = []), ['nodes[3].inputs: node 3 has no inputs']],
    [
      'duplicate input',
      (g) => (g.nodes[2].inputs = [0, 0]),
      ['nodes[2].inputs[1]: input 0 is listed twice'],
    ],
    ['bad level', (g) => (g.nodes[4].level = 4), ['nodes[4].level: expected level 0..3, got 4']],
    [
      'bad stride',
      (g) => (g.nodes[4].stride = 3),
      ['nodes[4].stride: expected stride 1 or 2, got 3'],
    ],
    [
      'unknown stem type',
      (g) => (g.nodes[1].stem = 'depth'),
      ['nodes[1].stem: Invalid option: expected one of "rgb"|"flow"|"segmentation"'],
    ],
    [
      'zero filters',
      (g) => (g.nodes[3].filters = 0),
      ['nodes[3].filters: Too small: expected number to be >=1'],
    ],
    ['unknown key', (g) => (g.nodes[3].dilations = 2), ['nodes[3]: Unrecognized key: "dilations"']],
    [
      'not a node',
      (g) => (g.nodes[3] = { kind: 'block' }),
      [
        'nodes[3]: expected a stem node {stem, temporal} or a block node {level, inputs, filters, dilation, stride}',
      ],
    ],
    [
      'weights of wrong length',
      (g) => (g.nodes[2].weights = [0.5]),
      ['nodes[2].weights: expected 2 weights (one per input), got 1'],
    ],
    [
      'weight out of (0,1)',
      (g) => (g.nodes[2].weights = [0.5, 1]),
      ['nodes[2].weights[1]: expected a sigmoid value in (0, 1), got 1'],
    ],
    [
      'weights on a single-input node',
      (g) => (g.nodes[3].weights = [0.5]),
      ['nodes[3].weights: expected no weights on a single-input node (its weight is 1)'],
    ],
    [
      'no level-3 node',
      (g) => g.nodes.pop(),
      ['nodes: expected at least one level-3 node (the head reads level 3), got none'],
    ],
    [
      'dead node',
      (g) => g.nodes.splice(5, 0, { level: 1, inputs: [2], filters: 8, dilation: 1, stride: 2 }),
      ['nodes[5]: node 5 reaches no level-3 node (its output is unused)'],
    ],
    [
      'no stems',
      (g) => {
        g.nodes = [{ level: 3, inputs: [], filters: 8, dilation: 1, stride: 1 }];
      },
      ['nodes[0].inputs: node 0 has no inputs'],
    ],
    [
      'level-3 widths differ',
      (g) => g.nodes.push({ level: 3, inputs: [4], filters: 16, dilation: 1, stride: 2 }),
      [
        'nodes[6].filters: expected every level-3 node to have 8 filters (the head averages them), got 16',
      ],
    ],
    [
      'depth and modules disagree',
      (g) => (g.depth = 50),
      ['modulesPerLevel: expected [3,4,6,3] for depth 50, got [1,1,1,1]'],
    ],
    [
      'neither depth nor modules',
      (g) => delete g.modulesPerLevel,
      ['depth: expected "depth" or "modulesPerLevel", got neither'],
    ],
    [
      'unknown depth',
      (g) => {
        delete g.modulesPerLevel;
        g.depth = 42;
      },
      ['depth: expected depth 26|38|50|68|77|101 or "modulesPerLevel", got 42'],
    ],
    [
      'bad fusion',
      (g) => (g.fusion = 'concat'),
      ['fusion: Invalid option: expected one of "sigmoid"|"fast-normalised"'],
    ],
  ];
  for (const [name, mutate, expected] of cases) {
    it(`rejects: ${name}`, () => {
      const genome = tinyGenome() as { nodes: Record<string, unknown>[] } & Record<string, unknown>;
      mutate(genome);
      expect(issuesOf(genome)).toEqual(expected);
    });
  }

  it('fast-normalised fusion accepts non-negative weights >= 1', () => {
    const genome = tinyGenome() as { nodes: Record<string, unknown>[] } & Record<string, unknown>;
    genome.fusion = 'fast-normalised';
    genome.nodes[2].weights = [2, 0];
    expect(issuesOf(genome)).toEqual([]);
    genome.nodes[2].weights = [2, -1];
    expect(issuesOf(genome)).toEqual([
      'nodes[2].weights[1]: expected a non-negative fast-fusion weight, got -1',
    ]);
  });

  it('reads files; errors name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genome-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(tinyGenome()));
    expect(readGenome(good).name).toBe('tiny');
    const bad = join(dir, 'bad.json');
    const value = tinyGenome() as { nodes: Record<string, unknown>[] };
    value.nodes[5].inputs = [4, 9];
    writeFileSync(bad, JSON.stringify(value));
    expect(() => readGenome(bad)).toThrow(
      /nodes\[5\]\.inputs\[1\]: input 9 is not below node 5 \(.*bad\.json\)/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    const result = safeReadGenome(broken);
    expect(result.success).toBe(false);
    expect(result.file).toBe(broken);
    expect(readFileSync(good, 'utf8')).toContain('tiny');
  });
});
