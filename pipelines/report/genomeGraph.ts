/**
 * A genome as a picture in the AssembleNet paper's style: one column per block level (stems on
 * the left), nodes coloured by the input streams that reach them and shaded by temporal
 * dilation, edges as wide and opaque as their connection weight, and edges below the pruning
 * threshold drawn dashed (the guided mutation drops them). ELK's layered layout places the nodes
 * (one partition per level, so levels stay in order) and routes the edges; this module draws
 * the result as SVG with data attributes that tests and readers can query.
 */
import ElkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ELKConstructorArguments, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Genome, GenomeNode } from '../../src/index.ts';
import { escapeHtml } from './html.ts';

export interface GenomeGraphInput {
  genome: Genome;
  /** Connection weights per node, aligned with its inputs (learned or published); null: unknown. */
  weights?: (readonly number[])[] | null;
  /** Edges whose weight is below this are drawn as pruned (guided mutation's threshold). */
  pruneThreshold?: number;
  /** Edges ("from-to" node indices) to draw as pruned whatever their weight (dropped in a child). */
  droppedEdges?: ReadonlySet<string>;
  /** Id prefix, unique on the page. */
  id: string;
}

type Stream = 'rgb' | 'flow' | 'rgb+flow' | 'segmentation' | 'mixed';

const STREAM_COLOURS: Readonly<Record<Stream, string>> = Object.freeze({
  rgb: '#d0433a',
  flow: '#2f6db3',
  'rgb+flow': '#7a4fa3',
  segmentation: '#3a9a4a',
  mixed: '#6b6b6b',
});

// The bundled build is CommonJS (module.exports is the constructor); its typings say ES default.
const Elk = ElkBundled as unknown as new (args?: ELKConstructorArguments) => ELK;

const NODE_WIDTH = 64;
const NODE_HEIGHT = 30;

/** The streams whose stems reach each node. */
export function nodeStreams(genome: Genome): Stream[] {
  const reach: Set<string>[] = [];
  genome.nodes.forEach((node, index) => {
    reach[index] =
      'stem' in node ? new Set([node.stem]) : new Set(node.inputs.flatMap((i) => [...reach[i]!]));
  });
  return reach.map((set) => {
    if (set.size === 1) return [...set][0] as Stream;
    if (set.size === 2 && set.has('rgb') && set.has('flow')) return 'rgb+flow';
    return 'mixed';
  });
}

/** Mixes a colour with white: darker for larger temporal dilation (1 light ... 8 full). */
export function dilationShade(colour: string, dilation: number): string {
  const white = Math.max(0, 0.6 - 0.2 * Math.log2(Math.max(1, dilation)));
  const channel = (i: number) => {
    const value = Number.parseInt(colour.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(value + (255 - value) * white)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

function column(node: GenomeNode): number {
  return 'stem' in node ? 0 : node.level + 1;
}

function nodeLabel(node: GenomeNode): [string, string] {
  if ('stem' in node) return [node.stem, `t${node.temporal}`];
  return [
    `L${node.level} ${node.filters * 4}ch`,
    `d${node.dilation}${node.stride > 1 ? ` s${node.stride}` : ''}`,
  ];
}

function pathOf(edge: ElkExtendedEdge): string {
  return (edge.sections ?? [])
    .map((section) => {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      return points
        .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(' ');
    })
    .join(' ');
}

/** The genome as an SVG string (`svg.genome-graph`, `g.node` per node, `path.edge` per input edge). */
export async function renderGenomeGraph(input: GenomeGraphInput): Promise<string> {
  const { genome, id } = input;
  const threshold = input.pruneThreshold;
  const streams = nodeStreams(genome);
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'POLYLINE',
      'elk.partitioning.activate': 'true',
      'elk.layered.spacing.nodeNodeBetweenLayers': '46',
      'elk.spacing.nodeNode': '12',
      'elk.layered.spacing.edgeNodeBetweenLayers': '10',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
    },
    children: genome.nodes.map((node, index) => ({
      id: `n${index}`,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      layoutOptions: { 'elk.partitioning.partition': String(column(node)) },
    })),
    edges: genome.nodes.flatMap((node, to) =>
      'inputs' in node
        ? node.inputs.map((from, k) => ({
            id: `e${to}_${k}`,
            sources: [`n${from}`],
            targets: [`n${to}`],
          }))
        : [],
    ),
  };
  const layout = await new Elk().layout(graph);
  const width = Math.ceil(layout.width ?? 0);
  const height = Math.ceil(layout.height ?? 0);
  const positions = new Map((layout.children ?? []).map((child) => [child.id, child]));
  const edgesById = new Map((layout.edges ?? []).map((edge) => [edge.id, edge]));

  const edges: string[] = [];
  genome.nodes.forEach((node, to) => {
    if (!('inputs' in node)) return;
    node.inputs.forEach((from, k) => {
      const weight = input.weights?.[to]?.[k];
      const known = typeof weight === 'number' && Number.isFinite(weight);
      const pruned =
        input.droppedEdges?.has(`${from}-${to}`) ||
        (known && threshold !== undefined && node.inputs.length > 1 && weight < threshold);
      const w = known ? Math.min(1, Math.max(0, weight)) : 0.5;
      const stroke = pruned ? '#9a9a9a' : '#333';
      const attributes = [
        `class="edge${pruned ? ' pruned' : ''}"`,
        `data-from="${from}"`,
        `data-to="${to}"`,
        known ? `data-weight="${weight.toFixed(4)}"` : '',
        `d="${pathOf(edgesById.get(`e${to}_${k}`)!)}"`,
        `fill="none" stroke="${stroke}"`,
        `stroke-width="${(0.6 + 4 * w).toFixed(2)}"`,
        `stroke-opacity="${(pruned ? 0.8 : 0.2 + 0.8 * w).toFixed(2)}"`,
        pruned ? 'stroke-dasharray="4 3"' : '',
        `marker-end="url(#${id}-arrow)"`,
      ].filter(Boolean);
      const title = `node ${from} -> node ${to}: ${known ? `weight ${weight.toFixed(3)}` : 'weight unknown'}${pruned ? ' (pruned)' : ''}`;
      edges.push(`<path ${attributes.join(' ')}><title>${escapeHtml(title)}</title></path>`);
    });
  });

  const nodes = genome.nodes.map((node, index) => {
    const box = positions.get(`n${index}`)!;
    const stream = streams[index]!;
    const dilation = 'stem' in node ? node.temporal : node.dilation;
    const fill = dilationShade(STREAM_COLOURS[stream], dilation);
    const [top, bottom] = nodeLabel(node);
    const kind = 'stem' in node ? 'stem' : 'block';
    const title =
      'stem' in node
        ? `node ${index}: ${node.stem} stem, temporal dilation ${node.temporal}`
        : `node ${index}: level ${node.level} block, ${node.filters} filters (${node.filters * 4} out), temporal dilation ${node.dilation}, stride ${node.stride}, inputs ${node.inputs.join(', ')}`;
    return [
      `<g class="node ${kind}" data-node="${index}" data-stream="${stream}" data-column="${column(node)}" data-dilation="${dilation}" transform="translate(${box.x!.toFixed(1)},${box.y!.toFixed(1)})">`,
      `<title>${escapeHtml(title)}</title>`,
      `<rect width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="${kind === 'stem' ? 15 : 4}" fill="${fill}" stroke="#222" stroke-width="0.8"/>`,
      `<text x="${NODE_WIDTH / 2}" y="12" text-anchor="middle">${escapeHtml(top)}</text>`,
      `<text x="${NODE_WIDTH / 2}" y="24" text-anchor="middle">${escapeHtml(bottom)}</text>`,
      '</g>',
    ].join('');
  });

  return [
    `<svg class="genome-graph" id="${id}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-nodes="${genome.nodes.length}" role="img" aria-label="${escapeHtml(genome.name)}">`,
    `<defs><marker id="${id}-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>`,
    `<g class="edges">${edges.join('')}</g>`,
    `<g class="nodes">${nodes.join('')}</g>`,
    '</svg>',
  ].join('');
}

/** The colour key shown once per page. */
export function genomeLegend(): string {
  const swatch = (colour: string, label: string) =>
    `<span class="swatch" style="background:${colour}"></span>${escapeHtml(label)}`;
  const streams = (['rgb', 'flow', 'rgb+flow'] as const).map((s) => swatch(STREAM_COLOURS[s], s));
  const dilations = [1, 2, 4].map((d) =>
    swatch(dilationShade(STREAM_COLOURS['rgb+flow'], d), `d${d}`),
  );
  return `<p class="legend">Stream: ${streams.join(' ')} &nbsp; temporal dilation (darker = larger): ${dilations.join(' ')} &nbsp; edges: width and opacity = connection weight; dashed = below the pruning threshold. Columns: stems, then block levels 0-3. Lx = level, Nch = output channels, dN = temporal dilation, sN = stride, tN = stem temporal dilation.</p>`;
}
