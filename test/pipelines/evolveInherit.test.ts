/**
 * Weight inheritance end to end: a child network initialised from its parent's stored weights
 * holds exactly the parent's values in the variables that persist and its own fresh values
 * elsewhere; a tiny `evolve` run with inheritWeights journals which evaluations inherited, and
 * a resumed run finds the stored weights of finished evaluations.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import {
  createAssembleNet,
  parseGenome,
  selectBackend,
  tf,
  type AssembleNetwork,
  type Genome,
  type NetworkOptions,
} from '../../src/index.ts';
import {
  fromGenome,
  parseSearchSpace,
  readJournal,
  toGenome,
  type SearchSpace,
} from '../../evolution/index.ts';
import {
  candidateWeightsDir,
  inheritFromParent,
  saveCandidateWeights,
} from '../../pipelines/evolve/inheritWeights.ts';
import { runEvolveJob } from '../../pipelines/jobs/evolve.ts';
import { buildProgram } from '../../pipelines/cli.ts';
import { parsePipeline } from '../../pipelines/run/spec.ts';
import { TINY_CLASSES, TINY_CONFIG, tinyMotionSpec } from './fixtures/tinyRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-inherit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPACE: SearchSpace = parseSearchSpace({
  name: 'tiny-rgb',
  stems: [{ stem: 'rgb', temporal: 1 }],
  stemTemporal: { rgb: [1, 2] },
  nodesPerLevel: [
    [1, 3],
    [1, 2],
    [1, 1],
    [1, 1],
  ],
  initialNodesPerLevel: [2, 1, 1, 1],
  filters: [8, 16, 16, 16],
  dilations: [1, 2],
  initialInputs: [1, 2],
  modulesPerLevel: [1, 1, 1, 1],
});

const PARENT: Genome = parseGenome({
  name: 'parent',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 }, // 0 s0 (64 ch at width 0.5)
    { level: 0, inputs: [0], filters: 8, dilation: 1, stride: 1 }, // 1 n1 (16 ch)
    { level: 0, inputs: [0], filters: 8, dilation: 2, stride: 1 }, // 2 n2 (16 ch)
    { level: 1, inputs: [0, 1, 2], filters: 16, dilation: 1, stride: 2 }, // 3 n3 (32 ch)
    { level: 2, inputs: [1, 3], filters: 16, dilation: 1, stride: 2 }, // 4 n4
    { level: 3, inputs: [4], filters: 16, dilation: 1, stride: 2 }, // 5 n5
  ],
});
const PARENT_KEYS = ['s0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const OPTIONS: NetworkOptions = {
  numClasses: 3,
  frames: 2,
  widthMultiplier: 0.5,
  temporalModules: 'even',
  seed: 1,
};

function values(network: AssembleNetwork, name: string): number[] {
  const variable = network.variables.get(name);
  if (!variable) throw new Error(`no variable ${name}`);
  return Array.from(variable.dataSync());
}

describe('a child initialised from its parent', () => {
  let parent: AssembleNetwork;
  let child: AssembleNetwork;
  let fresh: AssembleNetwork;
  let childGenome: Genome;
  let summary: Awaited<ReturnType<typeof inheritFromParent>>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    parent = createAssembleNet(PARENT, OPTIONS);
    // "Trained" parent: every value differs from any initial value.
    let seed = 100;
    for (const variable of parent.variables.values()) {
      const trained = tf.randomNormal(variable.shape, 3, 1, 'float32', seed++);
      variable.assign(trained);
      trained.dispose();
    }
    const weightsDir = join(dir, 'unit', 'weights', '0');
    await saveCandidateWeights(weightsDir, parent, { index: 0, keys: PARENT_KEYS });

    // Child: n2 split into n2 + n6 (new level-0 node, index 3); edge s0 -> n3 dropped, n6 -> n3 added
    // (n3 now fuses 16 channels, not 64); n1's dilation changed; n3 -> n4 moved to n3 -> n5 (n4 now
    // reads only n1: its fused width shrinks from 32 to 16).
    const graph = fromGenome(PARENT, PARENT_KEYS);
    const node = (key: string) => graph.nodes.find((n) => n.key === key)!;
    graph.nodes.push({ key: 'n6', level: 0, dilation: 1, inputs: [{ from: 's0' }] });
    graph.nextKey = 7;
    node('n3').inputs = [{ from: 'n1' }, { from: 'n2' }, { from: 'n6' }];
    node('n1').dilation = 2;
    node('n4').inputs = [{ from: 'n1' }];
    node('n5').inputs = [{ from: 'n3' }, { from: 'n4' }];
    const made = toGenome(graph, { ...SPACE, filters: [8, 16, 16, 16] }, 'child');
    childGenome = made.genome;
    expect(made.keys).toEqual(['s0', 'n1', 'n2', 'n6', 'n3', 'n4', 'n5']);
    child = createAssembleNet(childGenome, OPTIONS);
    fresh = createAssembleNet(childGenome, OPTIONS);
    summary = await inheritFromParent(child, made.keys, {
      index: 0,
      genome: PARENT,
      keys: PARENT_KEYS,
      dir: weightsDir,
    });
  });
  afterAll(() => {
    for (const network of [parent, child, fresh]) network?.dispose();
  });

  it('persisting nodes (shifted indices included) hold exactly the parent values', () => {
    const same: [string, string][] = [
      ['node0/stem/conv/filter', 'node0/stem/conv/filter'],
      ['node0/stem/temporal/bn/moving_mean', 'node0/stem/temporal/bn/moving_mean'],
      ['node1/block/module0/temporal/filter', 'node1/block/module0/temporal/filter'], // dilation changed, same shape
      ['node2/block/module0/expand/filter', 'node2/block/module0/expand/filter'],
      ['node4/block/module0/spatial/filter', 'node3/block/module0/spatial/filter'], // n3 moved from 3 to 4
      ['node4/block/module0/expand/filter', 'node3/block/module0/expand/filter'],
      [
        'node4/block/module0/spatial/bn/moving_variance',
        'node3/block/module0/spatial/bn/moving_variance',
      ],
      ['node5/block/module0/spatial/filter', 'node4/block/module0/spatial/filter'],
      ['node6/block/module0/projection/filter', 'node5/block/module0/projection/filter'],
      ['head/dense/kernel', 'head/dense/kernel'],
    ];
    for (const [childName, parentName] of same)
      expect(values(child, childName), childName).toEqual(values(parent, parentName));
  });

  it('new nodes and shape-changed variables keep their fresh initial values', () => {
    const newNode = [...child.variables.keys()].filter((name) => name.startsWith('node3/'));
    expect(newNode.length).toBeGreaterThan(5);
    // n3 (child node 4) and n4 (child node 5) fuse fewer channels: module 0's first convs are fresh
    const reshaped = ['node4', 'node5'].flatMap((node) => [
      `${node}/block/module0/projection/filter`,
      `${node}/block/module0/temporal/filter`,
    ]);
    for (const name of [...newNode, ...reshaped]) {
      expect(values(child, name), name).toEqual(values(fresh, name));
      expect(values(child, name), name).not.toEqual(
        values(
          parent,
          name.replace(/^node(\d)/, (_, i) => `node${Number(i) - 1}`),
        ),
      );
    }
  });

  it('fusion edge weights: persisting edges from the parent, new edges fresh', () => {
    // child n3 (index 4) reads [n1, n2, n6]; parent n3 read [s0, n1, n2]
    const parentEdges = values(parent, 'node3/fusion/edge_weights');
    const freshEdges = values(fresh, 'node4/fusion/edge_weights');
    expect(values(child, 'node4/fusion/edge_weights')).toEqual([
      parentEdges[1],
      parentEdges[2],
      freshEdges[2],
    ]);
    // child n5 (index 6) reads [n3, n4]; parent n5 had a single input (no edge weights): all fresh
    expect(values(child, 'node6/fusion/edge_weights')).toEqual(
      values(fresh, 'node6/fusion/edge_weights'),
    );
    expect(child.variables.has('node5/fusion/edge_weights')).toBe(false);
    expect(summary).toMatchObject({
      parent: 0,
      persistedNodes: 6,
      newNodes: 1,
      inheritedEdges: 6,
      freshEdges: 3,
    });
  });

  it('the summary counts exactly the values that came from the parent', () => {
    let fromParent = 0;
    let total = 0;
    for (const [name, variable] of child.variables) {
      const mine = Array.from(variable.dataSync());
      const initial = values(fresh, name);
      total += mine.length;
      fromParent += mine.filter((v, i) => v !== initial[i]).length;
    }
    expect(summary.totalValues).toBe(total);
    expect(summary.copiedValues).toBe(fromParent);
    expect(summary.copiedVariables + summary.freshVariables).toBe(child.variables.size);
  });

  it('a missing parent folder means training from scratch, said in the summary', async () => {
    const other = createAssembleNet(childGenome, OPTIONS);
    try {
      const skipped = await inheritFromParent(other, ['s0', 'n1', 'n2', 'n6', 'n3', 'n4', 'n5'], {
        index: 9,
        genome: PARENT,
        keys: PARENT_KEYS,
        dir: join(dir, 'nowhere'),
      });
      expect(skipped.skipped).toMatch(/no stored weights/);
      expect(skipped.copiedValues).toBe(0);
      expect(values(other, 'head/dense/kernel')).toEqual(values(fresh, 'head/dense/kernel'));
    } finally {
      other.dispose();
    }
  });
});

describe('evolve --inherit-weights (tiny run)', () => {
  it('journals which children inherited; a resumed run finds the stored weights', async () => {
    await selectBackend('wasm');
    const spec = tinyMotionSpec('inherit-motion', 5, TINY_CLASSES, {
      splits: { train: 0.5, val: 0.5, test: 0 },
    });
    const manifest = (await generateSyntheticDataset(spec, { out: join(dir, 'data') }))
      .manifests[0]!;
    const out = join(dir, 'evolve');
    const run = () =>
      runEvolveJob({
        space: SPACE,
        manifest,
        config: { ...TINY_CONFIG, testClips: 1 },
        settings: {
          strategy: 'guided',
          seed: 3,
          budget: 3,
          populationSize: 1,
          tournamentSize: 1,
          selection: 'tournament',
          batchSize: 2,
          pruneThreshold: 0.5,
          structuralRate: 0.5,
          inheritWeights: true,
        },
        out,
        workers: 2,
        cacheDir: join(dir, 'cache'),
        resume: true,
        progress: false,
        log: () => {},
      });
    const first = await run();
    expect(first.evaluations.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    const journal = readJournal(join(out, 'journal.jsonl'));
    expect(journal.header?.settings.inheritWeights).toBe(true);
    const [root, ...children] = journal.evaluations.sort((a, b) => a.index - b.index);
    expect(root!.inheritance).toBeUndefined();
    for (const record of children) {
      expect(record.parent).toBe(0);
      expect(record.inheritance, JSON.stringify(record)).toMatchObject({ parent: 0 });
      expect(record.inheritance!.skipped).toBeUndefined();
      expect(record.inheritance!.copiedValues).toBeGreaterThan(0);
      expect(record.inheritance!.copiedValues).toBeLessThanOrEqual(record.inheritance!.totalValues);
    }
    for (const index of [0, 1, 2])
      expect(existsSync(join(candidateWeightsDir(out, index), 'model.json'))).toBe(true);

    // Forget evaluation 2 (as if killed before it was journaled) and resume: it inherits again.
    const file = join(out, 'journal.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.filter((line) => !line.includes('"index":2,')).join('\n')}\n`);
    rmSync(candidateWeightsDir(out, 2), { recursive: true });
    const resumed = await run();
    expect(resumed.ran).toBe(1);
    const again = resumed.evaluations.find((r) => r.index === 2)!;
    const before = children.find((r) => r.index === 2)!;
    expect(again.inheritance).toEqual(before.inheritance);
    expect(again.fitness).toBe(before.fitness);
    expect(existsSync(join(candidateWeightsDir(out, 2), 'model.json'))).toBe(true);
  }, 240_000);
});

describe('the switch in the CLI and in pipeline files', () => {
  it("`evolve --inherit-weights` and the evolve stage's optional inheritWeights", async () => {
    const evolve = (await buildProgram()).commands.find((command) => command.name() === 'evolve')!;
    expect(evolve.options.map((option) => option.long)).toContain('--inherit-weights');
    const pipeline = (inherit: object) =>
      parsePipeline(
        {
          name: 'p',
          out: 'o',
          dataset: { spec: 'synthetic-motion' },
          stages: [{ stage: 'evolve', space: 's.json', budget: 2, ...inherit }],
        },
        'p.json',
      ).stages[0];
    expect(pipeline({ inheritWeights: true })).toMatchObject({ inheritWeights: true });
    expect(pipeline({})).not.toHaveProperty('inheritWeights');
    expect(() => pipeline({ inheritWeights: 'yes' })).toThrow(/inheritWeights/);
  });
});
