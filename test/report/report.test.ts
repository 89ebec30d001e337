/**
 * The report's pieces without a browser: the genome graph has one node per genome node and one
 * edge per input in the right columns, pruned edges are those below the threshold; the fitness
 * rows carry the best-so-far; the lineage diff finds the dropped edges by node key; a folder of
 * no known kind and a corrupt journal are clear errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvaluationRecord } from '../../evolution/index.ts';
import { droppedEdges, fitnessRows } from '../../pipelines/report/evolveSection.ts';
import { nodeStreams, renderGenomeGraph } from '../../pipelines/report/genomeGraph.ts';
import { buildReport } from '../../pipelines/report/index.ts';
import { detectKind } from '../../pipelines/report/load.ts';
import { readGenome, type Genome } from '../../src/index.ts';

const ASSEMBLENET_50 = readGenome(join(import.meta.dirname, '../../evolution/assemblenet-50.json'));

function attributes(svg: string, selector: RegExp): Record<string, string>[] {
  return [...svg.matchAll(selector)].map((match) =>
    Object.fromEntries([...match[0].matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])),
  );
}

function record(
  index: number,
  parent: number | null,
  fitness: number | null,
  genome: Genome,
  keys: string[],
): EvaluationRecord {
  return {
    type: 'evaluation',
    index,
    genome,
    keys,
    parent,
    mutation: parent === null ? ['random'] : ['edges:guided'],
    status: fitness === null ? 'failed' : 'ok',
    fitness,
    connectionWeights: null,
    seconds: 1,
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('genome graph', () => {
  it('draws AssembleNet-50: a node per genome node in its level column, an edge per input, pruned below the threshold', async () => {
    const weights = ASSEMBLENET_50.nodes.map((node) =>
      'inputs' in node ? (node.weights ?? node.inputs.map(() => 1)) : [],
    );
    const svg = await renderGenomeGraph({
      genome: ASSEMBLENET_50,
      weights,
      pruneThreshold: 0.5,
      id: 'g',
    });
    const nodes = attributes(svg, /<g class="node [^>]*>/g);
    const edges = attributes(svg, /<path class="edge[^>]*>/g);
    expect(nodes.map((n) => Number(n['data-node']))).toEqual(ASSEMBLENET_50.nodes.map((_, i) => i));
    for (const node of nodes) {
      const genomeNode = ASSEMBLENET_50.nodes[Number(node['data-node'])]!;
      expect(Number(node['data-column'])).toBe('stem' in genomeNode ? 0 : genomeNode.level + 1);
    }
    const expected = ASSEMBLENET_50.nodes.flatMap((node, to) =>
      'inputs' in node
        ? node.inputs.map((from, k) => ({ from, to, weight: node.weights?.[k] ?? 1 }))
        : [],
    );
    expect(edges.map((e) => `${e['data-from']}-${e['data-to']}`).sort()).toEqual(
      expected.map((e) => `${e.from}-${e.to}`).sort(),
    );
    const pruned = edges
      .filter((e) => e.class === 'edge pruned')
      .map((e) => `${e['data-from']}-${e['data-to']}`);
    expect(pruned.sort()).toEqual(
      expected
        .filter((e) => e.weight < 0.5)
        .map((e) => `${e.from}-${e.to}`)
        .sort(),
    );
    expect(pruned.length).toBeGreaterThan(0);
    // Columns run left to right: every edge goes to a node further right.
    const x = new Map(
      nodes.map((n) => [n['data-node'], Number(/translate\(([\d.]+),/.exec(n.transform!)![1])]),
    );
    for (const e of edges) expect(x.get(e['data-to'])!).toBeGreaterThan(x.get(e['data-from'])!);
  });

  it('colours nodes by the streams that reach them', () => {
    const streams = nodeStreams(ASSEMBLENET_50);
    expect(streams.slice(0, 4)).toEqual(['rgb', 'rgb', 'flow', 'flow']);
    expect(streams[4]).toBe('rgb'); // reads node 1 only
    expect(streams[7]).toBe('flow'); // reads nodes 2 and 3
    expect(streams[6]).toBe('rgb+flow');
  });
});

describe('evolution data', () => {
  const parent: Genome = {
    name: 'p',
    modulesPerLevel: [1, 1, 1, 1],
    fusion: 'sigmoid',
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { stem: 'flow', temporal: 1 },
      { level: 0, inputs: [0, 1], filters: 8, dilation: 1, stride: 1 },
      { level: 3, inputs: [0, 1, 2], filters: 8, dilation: 1, stride: 1 },
    ],
  };
  // The child lost node 2's flow input and node 3's rgb input; node keys keep the lineage.
  const child: Genome = {
    ...parent,
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { stem: 'flow', temporal: 1 },
      { level: 0, inputs: [0], filters: 8, dilation: 2, stride: 1 },
      { level: 3, inputs: [1, 2], filters: 8, dilation: 1, stride: 1 },
    ],
  };

  it('finds the parent edges the child dropped, by node key', () => {
    const keys = ['s0', 's1', 'n2', 'n3'];
    expect(
      [...droppedEdges(record(0, null, 0.5, parent, keys), record(1, 0, 0.6, child, keys))].sort(),
    ).toEqual(['0-3', '1-2']);
  });

  it('plots failed evaluations at 0 and carries the best-so-far line', () => {
    const keys = ['s0', 's1', 'n2', 'n3'];
    const rows = fitnessRows([
      record(0, null, 0.4, parent, keys),
      record(1, null, null, parent, keys),
      record(2, 0, 0.7, child, keys),
      record(3, 2, 0.5, child, keys),
    ]);
    expect(rows.map((r) => r.fitness)).toEqual([0.4, 0, 0.7, 0.5]);
    expect(rows.map((r) => r.best)).toEqual([0.4, 0.4, 0.7, 0.7]);
    expect(rows.map((r) => r.status)).toEqual(['ok', 'failed', 'ok', 'ok']);
  });
});

describe('bad input', () => {
  it('names the folder and the files it looked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anet-report-empty-'));
    expect(() => detectKind(dir)).toThrow(
      /expected an output folder of train, eval, evolve, distill or run .* in .*anet-report-empty-/,
    );
    expect(() => detectKind(join(dir, 'nope'))).toThrow(/no such path/);
  });

  it('points at the bad line of a corrupt journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anet-report-journal-'));
    writeFileSync(
      join(dir, 'journal.jsonl'),
      '{"type":"header","version":1,"settings":{}}\nnot json\n{}\n',
    );
    expect(detectKind(dir)).toBe('evolve');
    await expect(buildReport(dir)).rejects.toThrow(/journal.jsonl:2/);
  });

  it('says what a metrics file lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anet-report-eval-'));
    writeFileSync(join(dir, 'eval-test.json'), '{"top1": 0.5}');
    expect(detectKind(dir)).toBe('eval');
    await expect(buildReport(dir)).rejects.toThrow(
      /expected evaluation metrics .*eval-test\.json, got keys top1/,
    );
  });
});
