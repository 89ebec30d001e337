/**
 * Evolution: fitness of every journaled evaluation against its index with the best-so-far line
 * and the lineage (a segment from each parent to its child), the best genome beside its parent
 * and beside AssembleNet-50, inheritance statistics and the table of evaluations.
 */
import { join } from 'node:path';
import type { EvaluationRecord } from '../../evolution/index.ts';
import { readGenome, type Genome } from '../../src/index.ts';
import { renderChart, type Row } from './charts.ts';
import { genomeLegend, renderGenomeGraph } from './genomeGraph.ts';
import { escapeHtml, figure, pct, section, table } from './html.ts';
import type { EvolveOutput } from './load.ts';

const ASSEMBLENET_50 = join(import.meta.dirname, '../../evolution/assemblenet-50.json');

function edgeCount(genome: Genome): number {
  return genome.nodes.reduce((sum, node) => sum + ('inputs' in node ? node.inputs.length : 0), 0);
}

/** Parent edges ("from-to") whose edge (by stable node keys) the child does not have. */
export function droppedEdges(parent: EvaluationRecord, child: EvaluationRecord): Set<string> {
  const childEdges = new Set<string>();
  child.genome.nodes.forEach((node, to) => {
    if ('inputs' in node)
      for (const from of node.inputs) childEdges.add(`${child.keys[from]}>${child.keys[to]}`);
  });
  const dropped = new Set<string>();
  parent.genome.nodes.forEach((node, to) => {
    if (!('inputs' in node)) return;
    for (const from of node.inputs)
      if (!childEdges.has(`${parent.keys[from]}>${parent.keys[to]}`)) dropped.add(`${from}-${to}`);
  });
  return dropped;
}

/** Rows of the fitness chart: one per journal record (failed ones at fitness 0). */
export function fitnessRows(evaluations: EvaluationRecord[]): Row[] {
  let best = Number.NEGATIVE_INFINITY;
  return evaluations.map((record) => {
    if (record.status === 'ok' && record.fitness! > best) best = record.fitness!;
    return {
      index: record.index,
      fitness: record.status === 'ok' ? record.fitness : 0,
      status: record.status,
      origin: record.parent === null ? 'initial (random)' : 'child (mutated)',
      parent: record.parent,
      mutation: record.mutation.join(', '),
      best: Number.isFinite(best) ? best : null,
    };
  });
}

async function fitnessChart(evolve: EvolveOutput): Promise<string> {
  const rows = fitnessRows(evolve.evaluations);
  const byIndex = new Map(rows.map((row) => [row.index, row]));
  const lineage: Row[] = rows
    .filter((row) => row.parent !== null && byIndex.has(row.parent as number))
    .map((row) => ({
      index: row.index,
      fitness: row.fitness,
      parentIndex: row.parent,
      parentFitness: byIndex.get(row.parent as number)!.fitness,
    }));
  const layers: object[] = [
    {
      name: 'lineage',
      data: { values: lineage },
      mark: { type: 'rule', color: '#b0bec5', strokeWidth: 1 },
      encoding: {
        x: { field: 'parentIndex', type: 'quantitative' },
        y: { field: 'parentFitness', type: 'quantitative' },
        x2: { field: 'index' },
        y2: { field: 'fitness' },
      },
    },
    {
      name: 'best',
      data: { values: rows.filter((row) => row.best !== null) },
      mark: { type: 'line', interpolate: 'step-after', color: '#2e7d32', strokeWidth: 2 },
      encoding: {
        x: { field: 'index', type: 'quantitative' },
        y: { field: 'best', type: 'quantitative' },
      },
    },
    {
      name: 'evaluations',
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 60, opacity: 0.9 },
      encoding: {
        x: {
          field: 'index',
          type: 'quantitative',
          title: 'evaluation index',
          axis: { tickMinStep: 1 },
        },
        y: {
          field: 'fitness',
          type: 'quantitative',
          title: 'fitness (val top-1)',
          scale: { domain: [0, 1] },
          axis: { format: '%' },
        },
        color: {
          field: 'origin',
          type: 'nominal',
          title: null,
          scale: { domain: ['initial (random)', 'child (mutated)'], range: ['#8d6e63', '#1565c0'] },
        },
        shape: {
          field: 'status',
          type: 'nominal',
          title: null,
          scale: { domain: ['ok', 'failed'], range: ['circle', 'cross'] },
        },
        tooltip: [
          { field: 'index' },
          { field: 'parent' },
          { field: 'fitness', format: '.3f' },
          { field: 'mutation' },
        ],
      },
    },
  ];
  return renderChart(
    {
      title: 'fitness of every evaluation (green: best so far; grey segments: parent -> child)',
      width: 460,
      height: 220,
      layer: layers,
    } as never,
    'fitness',
  );
}

function inheritanceTable(evaluations: EvaluationRecord[]): string {
  const inherited = evaluations.filter((r) => r.inheritance);
  if (inherited.length === 0)
    return '<p class="note">Weight inheritance was off: every candidate trained from scratch.</p>';
  const rows = inherited.map((r) => {
    const i = r.inheritance!;
    return [
      r.index,
      i.parent,
      i.skipped ? `skipped: ${i.skipped}` : `${i.persistedNodes} kept / ${i.newNodes} new`,
      `${i.copiedVariables} / ${i.copiedVariables + i.freshVariables}`,
      pct(i.totalValues > 0 ? i.copiedValues / i.totalValues : null),
      `${i.inheritedEdges} / ${i.inheritedEdges + i.freshEdges}`,
      r.fitness === null ? 'failed' : pct(r.fitness),
    ];
  });
  const used = inherited.filter((r) => !r.inheritance!.skipped);
  const mean = (f: (r: EvaluationRecord) => number) =>
    used.length ? used.reduce((s, r) => s + f(r), 0) / used.length : null;
  const summary = `<p class="note">${used.length} of ${inherited.length} children started from their parent's weights; on average ${pct(mean((r) => r.inheritance!.copiedValues / Math.max(1, r.inheritance!.totalValues)))} of the values and ${pct(mean((r) => r.inheritance!.inheritedEdges / Math.max(1, r.inheritance!.inheritedEdges + r.inheritance!.freshEdges)))} of the edges were inherited.</p>`;
  return (
    summary +
    table(
      [
        'child',
        'parent',
        'nodes',
        'variables copied',
        'values copied',
        'edges inherited',
        'fitness',
      ],
      rows,
      'inheritance',
    )
  );
}

function evaluationsTable(evaluations: EvaluationRecord[]): string {
  const rows = evaluations.map((r) => [
    r.index,
    r.parent ?? '-',
    r.status === 'ok' ? pct(r.fitness) : `failed: ${r.error ?? ''}`,
    r.genome.nodes.length,
    edgeCount(r.genome),
    Math.round(r.seconds),
    r.mutation.join(', '),
  ]);
  return table(
    ['#', 'parent', 'fitness', 'nodes', 'edges', 'sec', 'mutation'],
    rows,
    'evaluations',
  );
}

async function genomeComparison(evolve: EvolveOutput): Promise<string> {
  const best = evolve.best;
  if (!best) return '<p class="note">No candidate trained successfully: no best genome.</p>';
  const threshold = Number(evolve.header?.settings.pruneThreshold ?? 0.5);
  const parent =
    best.parent === null ? null : (evolve.evaluations.find((r) => r.index === best.parent) ?? null);
  const figures: string[] = [
    figure(
      await renderGenomeGraph({
        genome: best.genome,
        weights: best.connectionWeights,
        pruneThreshold: threshold,
        id: 'genome-best',
      }),
      `Best: candidate ${best.index} (fitness ${pct(best.fitness)}), ${best.genome.nodes.length} nodes, ${edgeCount(best.genome)} edges; learned weights of its proxy training; dashed: below ${threshold}, the edges its children drop.`,
      'genome best',
    ),
  ];
  if (parent) {
    figures.push(
      figure(
        await renderGenomeGraph({
          genome: parent.genome,
          weights: parent.connectionWeights,
          droppedEdges: droppedEdges(parent, best),
          id: 'genome-parent',
        }),
        `Its parent: candidate ${parent.index} (fitness ${pct(parent.fitness)}); dashed: the edges the best genome no longer has. Mutation: ${best.mutation.join(', ')}.`,
        'genome parent',
      ),
    );
  } else {
    figures.push(
      `<p class="note">The best genome is from the initial random population: it has no parent.</p>`,
    );
  }
  const reference = readGenome(ASSEMBLENET_50);
  figures.push(
    figure(
      await renderGenomeGraph({
        genome: reference,
        weights: reference.nodes.map((node) =>
          'weights' in node && node.weights
            ? node.weights
            : 'inputs' in node
              ? node.inputs.map(() => 1)
              : [],
        ),
        id: 'genome-assemblenet50',
      }),
      'AssembleNet-50 (Ryoo et al., ICLR 2020) with its published connection weights.',
      'genome reference',
    ),
  );
  return `<div class="row">${figures.join('')}</div>${genomeLegend()}`;
}

export async function evolveBody(evolve: EvolveOutput): Promise<string> {
  const s = evolve.header?.settings ?? {};
  const setting = (key: string) => (s[key] === undefined ? '-' : String(s[key]));
  const ok = evolve.evaluations.filter((r) => r.status === 'ok').length;
  const intro = `<p>Strategy <b>${escapeHtml(setting('strategy'))}</b>, seed ${escapeHtml(setting('seed'))}, budget ${escapeHtml(setting('budget'))}, population ${escapeHtml(setting('populationSize'))}, selection ${escapeHtml(setting('selection'))}, prune threshold ${escapeHtml(setting('pruneThreshold'))}, weight inheritance ${s.inheritWeights ? 'on' : 'off'}; ${evolve.evaluations.length} evaluations journaled (${ok} ok, ${evolve.evaluations.length - ok} failed).</p>`;
  return [
    intro,
    await fitnessChart(evolve),
    '<h3>Best genome, its parent, AssembleNet-50</h3>',
    await genomeComparison(evolve),
    '<h3>Weight inheritance</h3>',
    inheritanceTable(evolve.evaluations),
    '<h3>Evaluations</h3>',
    evaluationsTable(evolve.evaluations),
  ].join('');
}

export async function evolveSection(evolve: EvolveOutput): Promise<string> {
  return section('Evolution', await evolveBody(evolve), 'evolve');
}
