/**
 * The inheritance plan on hand-built parent/child genomes: which child variables come from
 * which parent variables after an edge drop, an edge addition, a node split, a dilation change.
 * Variable shapes come from real networks (cpu backend), so names and shapes are the model's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAssembleNet, isBlock, parseGenome, tf, type Genome } from '../../src/index.ts';
import {
  correspondenceFromKeys,
  readJournal,
  runSearch,
  type Evaluator,
  fromGenome,
  persistingNodes,
  planInheritance,
  summarizeInheritance,
  toGenome,
  type InheritancePlan,
  type SearchSpace,
} from '../../evolution/index.ts';
import { SMALL_SPACE, testSearchSettings } from './fixtures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Out channels: stems 64 each (128 / 2 stems), L0 4x8 = 32, L1..L3 4x16 = 64. */
const PARENT = parseGenome({
  name: 'parent',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 }, // 0 s0
    { stem: 'flow', temporal: 1 }, // 1 s1
    { level: 0, inputs: [0, 1], filters: 8, dilation: 1, stride: 1 }, // 2 n2
    { level: 0, inputs: [0], filters: 8, dilation: 2, stride: 1 }, // 3 n3
    { level: 1, inputs: [1, 2, 3], filters: 16, dilation: 1, stride: 2 }, // 4 n4
    { level: 2, inputs: [4], filters: 16, dilation: 1, stride: 2 }, // 5 n5
    { level: 3, inputs: [2, 3, 5], filters: 16, dilation: 1, stride: 2 }, // 6 n6
  ],
});
const PARENT_KEYS = ['s0', 's1', 'n2', 'n3', 'n4', 'n5', 'n6'];

function shapesOf(genome: Genome): Record<string, number[]> {
  const network = createAssembleNet(genome, {
    numClasses: 3,
    frames: 2,
    widthMultiplier: 1,
    temporalModules: 'even',
    seed: 1,
  });
  const shapes = Object.fromEntries(
    [...network.variables].map(([name, variable]) => [name, variable.shape]),
  );
  network.dispose();
  return shapes;
}

function plan(child: Genome, childKeys: string[]): InheritancePlan {
  return planInheritance(
    { genome: child, shapes: shapesOf(child) },
    { genome: PARENT, shapes: shapesOf(PARENT) },
    correspondenceFromKeys(childKeys, PARENT_KEYS),
  );
}

function withNodes(nodes: Genome['nodes']): Genome {
  return parseGenome({ ...PARENT, name: 'child', nodes });
}

const copied = (p: InheritancePlan) => new Map(p.copies.map((c) => [c.child, c]));
const freshReason = (p: InheritancePlan) => new Map(p.fresh.map((f) => [f.name, f.reason]));
const byPrefix = (names: Iterable<string>, prefix: string) =>
  [...names].filter((n) => n.startsWith(prefix));

describe('inheritance plan', () => {
  it('an identical child copies every variable whole', () => {
    const p = plan(PARENT, PARENT_KEYS);
    const shapes = shapesOf(PARENT);
    expect(p.fresh).toEqual([]);
    expect(p.nodes).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(p.copies.map((c) => c.child).sort()).toEqual(Object.keys(shapes).sort());
    for (const copy of p.copies) {
      expect(copy.parent).toBe(copy.child);
      // edge weights are copied slot by slot, in order
      if (copy.elements) expect(copy.elements).toEqual(copy.elements.map(([i]) => [i, i]));
    }
    const summary = summarizeInheritance(p, 0, shapes);
    const total = Object.values(shapes).reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
    expect(summary).toMatchObject({
      copiedValues: total,
      totalValues: total,
      freshVariables: 0,
      inheritedEdges: 10,
      freshEdges: 0,
      newNodes: 0,
    });
  });

  it('edge dropped: the surviving edges keep their parent slots; the node and its block persist', () => {
    const nodes = structuredClone(PARENT.nodes);
    (nodes[6] as { inputs: number[] }).inputs = [3, 5]; // drop n2 -> n6
    const p = plan(withNodes(nodes), PARENT_KEYS);
    const copies = copied(p);
    expect(copies.get('node6/fusion/edge_weights')).toMatchObject({
      parent: 'node6/fusion/edge_weights',
      elements: [
        [0, 1],
        [1, 2],
      ],
      values: 2,
    });
    expect(copies.get('node6/fusion/match32/filter')?.parent).toBe('node6/fusion/match32/filter');
    // inputs of 32 and 64 channels (was 32/32/64): fused width unchanged, so the whole block is copied
    const block = byPrefix(Object.keys(shapesOf(PARENT)), 'node6/block/');
    expect(block.length).toBeGreaterThan(10);
    for (const name of block) expect(copies.get(name)?.parent).toBe(name);
    expect(p.fresh).toEqual([]);
    expect(p.edges).toEqual({ inherited: 9, fresh: 0 });
  });

  it('edge added: new edges and the channel-matching conv they need are fresh; a single-input parent has no edge weights', () => {
    const nodes = structuredClone(PARENT.nodes);
    (nodes[5] as { inputs: number[] }).inputs = [3, 4]; // n3 (32 ch) -> n5, beside n4 (64 ch)
    (nodes[6] as { inputs: number[] }).inputs = [2, 3, 4, 5]; // n4 -> n6 added
    const p = plan(withNodes(nodes), PARENT_KEYS);
    const fresh = freshReason(p);
    expect(fresh.get('node5/fusion/edge_weights')).toBe('not in parent');
    expect(fresh.get('node5/fusion/match32/filter')).toBe('not in parent');
    // n6: slots 0, 1, 3 (n2, n3, n5) persist at parent slots 0, 1, 2; slot 2 (n4) is new
    expect(copied(p).get('node6/fusion/edge_weights')?.elements).toEqual([
      [0, 0],
      [1, 1],
      [3, 2],
    ]);
    // the block of n5 still matches: fused width is 64 as before
    expect(copied(p).get('node5/block/module0/spatial/filter')?.parent).toBe(
      'node5/block/module0/spatial/filter',
    );
    expect(p.edges).toEqual({ inherited: 10, fresh: 2 });
  });

  it('fused width changed: module 0 convs that read it are fresh (shape), the rest is copied', () => {
    const nodes = structuredClone(PARENT.nodes);
    (nodes[4] as { inputs: number[] }).inputs = [2, 3]; // n4 now reads only 32-channel inputs (not s1's 64)
    const p = plan(withNodes(nodes), PARENT_KEYS);
    const fresh = freshReason(p);
    const firstConv = byPrefix(Object.keys(shapesOf(PARENT)), 'node4/block/module0/').filter((n) =>
      /(projection|temporal|pointwise)\/filter$/.test(n),
    );
    expect(firstConv.length).toBe(2);
    for (const name of firstConv) expect(fresh.get(name)).toBe('shape');
    expect(copied(p).get('node4/block/module0/spatial/filter')?.parent).toBe(
      'node4/block/module0/spatial/filter',
    );
    expect(copied(p).get('node4/block/module0/projection/bn/gamma')?.parent).toBe(
      'node4/block/module0/projection/bn/gamma',
    );
    expect(copied(p).get('node4/fusion/edge_weights')?.elements).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('node split: the twin is new (fresh), later nodes shift index and map back to their parent nodes', () => {
    // n3 split into n3 + n7 (a new level-0 node, index 4); n4 reads both halves.
    const child = withNodes([
      PARENT.nodes[0]!,
      PARENT.nodes[1]!,
      PARENT.nodes[2]!,
      PARENT.nodes[3]!,
      { level: 0, inputs: [0], filters: 8, dilation: 1, stride: 1 },
      { level: 1, inputs: [1, 2, 3, 4], filters: 16, dilation: 1, stride: 2 },
      { level: 2, inputs: [5], filters: 16, dilation: 1, stride: 2 },
      { level: 3, inputs: [2, 3, 6], filters: 16, dilation: 1, stride: 2 },
    ]);
    const keys = ['s0', 's1', 'n2', 'n3', 'n7', 'n4', 'n5', 'n6'];
    const p = plan(child, keys);
    expect(p.nodes).toEqual([0, 1, 2, 3, null, 4, 5, 6]);
    const fresh = freshReason(p);
    const twin = byPrefix(Object.keys(shapesOf(child)), 'node4/');
    expect(twin.length).toBeGreaterThan(0);
    for (const name of twin) expect(fresh.get(name)).toBe('new node');
    const copies = copied(p);
    expect(copies.get('node5/fusion/edge_weights')).toMatchObject({
      parent: 'node4/fusion/edge_weights',
      elements: [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
    });
    expect(copies.get('node5/block/module0/expand/filter')?.parent).toBe(
      'node4/block/module0/expand/filter',
    );
    expect(copies.get('node7/block/module0/spatial/filter')?.parent).toBe(
      'node6/block/module0/spatial/filter',
    );
    expect(copies.get('head/dense/kernel')?.parent).toBe('head/dense/kernel');
    expect(p.edges).toEqual({ inherited: 10, fresh: 2 });
  });

  it('dilation changed: shapes are the same, so every variable of the node is copied', () => {
    const nodes = structuredClone(PARENT.nodes);
    (nodes[3] as { dilation: number }).dilation = 1;
    (nodes[0] as { temporal: number }).temporal = 2;
    const p = plan(withNodes(nodes), PARENT_KEYS);
    expect(p.fresh).toEqual([]);
    expect(copied(p).get('node3/block/module0/temporal/filter')?.parent).toBe(
      'node3/block/module0/temporal/filter',
    );
    expect(copied(p).get('node0/stem/temporal/filter')?.parent).toBe('node0/stem/temporal/filter');
  });

  it('a key mapped to a node of other filters or another stem type does not persist', () => {
    const nodes = structuredClone(PARENT.nodes);
    (nodes[5] as { filters: number }).filters = 32;
    const child = withNodes(nodes);
    expect(
      persistingNodes(child, PARENT, correspondenceFromKeys(PARENT_KEYS, PARENT_KEYS)),
    ).toEqual([0, 1, 2, 3, 4, null, 6]);
    const swapped = correspondenceFromKeys(['s1', 's0', 'n2', 'n3', 'n4', 'n5', 'n6'], PARENT_KEYS);
    expect(persistingNodes(PARENT, PARENT, swapped).slice(0, 2)).toEqual([null, null]);
    const p = plan(child, PARENT_KEYS);
    expect(freshReason(p).get('node5/block/module0/spatial/filter')).toBe('changed node');
  });

  it('keys from a real mutation (graph round trip) give the correspondence', () => {
    const space = {
      filters: [8, 16, 16, 16],
      modulesPerLevel: [1, 1, 1, 1],
      fusion: 'sigmoid',
    } as unknown as SearchSpace;
    const graph = fromGenome(PARENT, PARENT_KEYS);
    graph.nodes.push({
      key: `n${graph.nextKey++}`,
      level: 0,
      dilation: 1,
      inputs: [{ from: 's0' }],
    });
    graph.nodes.find((n) => n.key === 'n4')!.inputs.push({ from: 'n7' });
    const { genome, keys } = toGenome(graph, space, 'child');
    expect(keys).toEqual(['s0', 's1', 'n2', 'n3', 'n7', 'n4', 'n5', 'n6']);
    expect(persistingNodes(genome, PARENT, correspondenceFromKeys(keys, PARENT_KEYS))).toEqual([
      0,
      1,
      2,
      3,
      null,
      4,
      5,
      6,
    ]);
  });
});

describe('the inheritWeights setting in the journal', () => {
  const space = SMALL_SPACE;
  const base = testSearchSettings({ seed: 2, budget: 4, populationSize: 2 });
  const evaluate: Evaluator = async (candidate) => ({
    fitness: candidate.index / 10,
    connectionWeights: candidate.genome.nodes.map((node) =>
      isBlock(node) ? node.inputs.map(() => 0.6) : [],
    ),
    ...(candidate.parent
      ? {
          inheritance: {
            parent: candidate.parent.index,
            persistedNodes: 1,
            newNodes: 0,
            copiedVariables: 1,
            freshVariables: 0,
            copiedValues: 5,
            totalValues: 5,
            inheritedEdges: 0,
            freshEdges: 0,
          },
        }
      : {}),
  });

  it('is left out of the header when off, so journals written before the switch still resume', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'evo-inherit-')), 'journal.jsonl');
    await runSearch({
      space,
      settings: { ...base, budget: 2 },
      journalFile: file,
      resume: false,
      workers: 1,
      evaluate,
    });
    // an "old" header (no inheritWeights key at all) resumed with the switch explicitly off
    expect(readFileSync(file, 'utf8')).not.toContain('inheritWeights');
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as {
      settings: { budget: number };
    };
    header.settings.budget = 4;
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^.*\n/, `${JSON.stringify(header)}\n`));
    const resumed = await runSearch({
      space,
      settings: { ...base, inheritWeights: false },
      journalFile: file,
      resume: true,
      workers: 1,
      evaluate,
    });
    expect(resumed.ran).toBe(2);
    await expect(
      runSearch({
        space,
        settings: { ...base, inheritWeights: true },
        journalFile: file,
        resume: true,
        workers: 1,
        evaluate,
      }),
    ).rejects.toThrow(/--resume expected the settings/);
  });

  it('is recorded when on, with the inheritance of each evaluation', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'evo-inherit-')), 'journal.jsonl');
    await runSearch({
      space,
      settings: { ...base, inheritWeights: true },
      journalFile: file,
      resume: false,
      workers: 1,
      evaluate,
    });
    const journal = readJournal(file);
    expect(journal.header?.settings.inheritWeights).toBe(true);
    expect(journal.evaluations.map((r) => r.inheritance?.parent ?? null)).toEqual(
      journal.evaluations.map((r) => r.parent),
    );
    expect(journal.evaluations.filter((r) => r.inheritance)).toHaveLength(2);
  });
});
