/**
 * Genome operators of the search: fresh over-connected graphs, and the mutations of AssembleNet
 * (ICLR 2020) — connection-learning-guided edge mutation, temporal dilation change, node split,
 * node merge, stem temporal-resolution change.
 */
import type { Rng } from '../src/index.ts';
import { candidateInputs, type Graph, type GraphNode } from './graph.ts';
import type { SearchSpace } from './space.ts';

export type EdgeRule = 'guided' | 'plain';

export interface MutationSettings {
  /** Guided rule: keep an input whose learned sigmoid weight is >= this (always keep the strongest). */
  pruneThreshold: number;
  /** Probability of one structural mutation (dilation/split/merge/stem) beside the edge mutation. */
  structuralRate: number;
}

/** A fresh random graph of the space: every node over-connected to lower levels. */
export function randomGraph(space: SearchSpace, rng: Rng): Graph {
  const graph: Graph = { nodes: [], nextKey: 0 };
  for (const stem of space.stems) {
    graph.nodes.push({
      key: `s${graph.nextKey++}`,
      level: -1,
      stem: { ...stem },
      dilation: 1,
      inputs: [],
    });
  }
  for (let level = 0; level < 4; level++) {
    for (let k = 0; k < space.initialNodesPerLevel[level]!; k++) {
      graph.nodes.push({
        key: `n${graph.nextKey++}`,
        level: level as GraphNode['level'],
        dilation: rng.pick(space.dilations),
        inputs: [],
      });
    }
  }
  for (const node of graph.nodes) if (node.level >= 0) addRandomInputs(graph, node, space, rng);
  repairDeadNodes(graph, rng);
  return graph;
}

/** Adds random new inputs until the node has a fresh over-connected count of them. */
function addRandomInputs(graph: Graph, node: GraphNode, space: SearchSpace, rng: Rng): void {
  const [lo, hi] = space.initialInputs;
  const target = rng.randInt(lo, hi + 1);
  const have = new Set(node.inputs.map((edge) => edge.from));
  const free = rng.shuffle(candidateInputs(graph, node.level).filter((key) => !have.has(key)));
  while (node.inputs.length < target && free.length > 0) node.inputs.push({ from: free.pop()! });
}

/** Every stem and non-output node must feed some higher node; wire orphans to a random consumer. */
export function repairDeadNodes(graph: Graph, rng: Rng): void {
  for (const node of graph.nodes) {
    if (node.level === 3) continue;
    const used = graph.nodes.some((other) => other.inputs.some((edge) => edge.from === node.key));
    if (used) continue;
    const consumers = graph.nodes.filter((other) => other.level > node.level);
    rng.pick(consumers).inputs.push({ from: node.key });
  }
}

/** How many inputs of `node` the learned weights say to drop (the strongest always stays). */
function guidedKeep(node: GraphNode, threshold: number): GraphNode['inputs'] {
  if (node.inputs.length <= 1) return node.inputs;
  const strongest = node.inputs.reduce((best, edge) =>
    (edge.learned ?? 1) > (best.learned ?? 1) ? edge : best,
  );
  return node.inputs.filter((edge) => edge === strongest || (edge.learned ?? 1) >= threshold);
}

/**
 * The edge mutation. `guided` keeps the parent's connections whose learned weight is above the
 * threshold and drops the rest; `plain` drops the same number of connections per node, chosen at
 * random (the ablation: same amount of pruning, without the learned weights). Both then add
 * random new connections so the child is over-connected again.
 */
export function mutateEdges(
  graph: Graph,
  space: SearchSpace,
  rule: EdgeRule,
  settings: MutationSettings,
  rng: Rng,
): void {
  for (const node of graph.nodes) {
    if (node.level < 0) continue;
    const kept = guidedKeep(node, settings.pruneThreshold);
    if (rule === 'guided') {
      node.inputs = kept;
    } else {
      const drop = node.inputs.length - kept.length;
      node.inputs = rng.shuffle([...node.inputs]).slice(drop);
    }
    for (const edge of node.inputs) delete edge.learned;
    addRandomInputs(graph, node, space, rng);
  }
}

function blocksOfLevel(graph: Graph, level: number): GraphNode[] {
  return graph.nodes.filter((node) => node.level === level);
}

function changeDilation(graph: Graph, space: SearchSpace, rng: Rng): string | undefined {
  const node = rng.pick(graph.nodes.filter((n) => n.level >= 0));
  const choices = space.dilations.filter((d) => d !== node.dilation);
  if (choices.length === 0) return undefined;
  const before = node.dilation;
  node.dilation = rng.pick(choices);
  return `dilation ${node.key} ${before}->${node.dilation}`;
}

function splitNode(graph: Graph, space: SearchSpace, rng: Rng): string | undefined {
  const levels = [0, 1, 2, 3].filter(
    (level) => blocksOfLevel(graph, level).length < space.nodesPerLevel[level]![1],
  );
  if (levels.length === 0) return undefined;
  const node = rng.pick(blocksOfLevel(graph, rng.pick(levels)));
  const twin: GraphNode = {
    key: `n${graph.nextKey++}`,
    level: node.level,
    dilation: rng.pick(space.dilations),
    inputs: node.inputs.map((edge) => ({ from: edge.from })),
  };
  graph.nodes.push(twin);
  // Each consumer of the split node reads one or both halves.
  for (const consumer of graph.nodes) {
    const edge = consumer.inputs.find((e) => e.from === node.key);
    if (!edge) continue;
    if (rng.bernoulli(0.5)) consumer.inputs.push({ from: twin.key });
    else edge.from = twin.key;
  }
  return `split ${node.key}->${node.key}+${twin.key}`;
}

function mergeNodes(graph: Graph, space: SearchSpace, rng: Rng): string | undefined {
  const levels = [0, 1, 2, 3].filter(
    (level) => blocksOfLevel(graph, level).length > Math.max(1, space.nodesPerLevel[level]![0]),
  );
  if (levels.length === 0) return undefined;
  const [keep, gone] = rng.shuffle([...blocksOfLevel(graph, rng.pick(levels))]) as [
    GraphNode,
    GraphNode,
  ];
  const inputs = new Set(keep.inputs.map((edge) => edge.from));
  for (const edge of gone.inputs) if (!inputs.has(edge.from)) keep.inputs.push({ from: edge.from });
  graph.nodes = graph.nodes.filter((node) => node !== gone);
  for (const consumer of graph.nodes) {
    const seen = new Set<string>();
    consumer.inputs = consumer.inputs
      .map((edge) => (edge.from === gone.key ? { from: keep.key } : edge))
      .filter((edge) => (seen.has(edge.from) ? false : (seen.add(edge.from), true)));
  }
  return `merge ${gone.key}->${keep.key}`;
}

function changeStemTemporal(graph: Graph, space: SearchSpace, rng: Rng): string | undefined {
  const stems = graph.nodes.filter(
    (node) => node.stem && (space.stemTemporal[node.stem.stem]?.length ?? 0) > 1,
  );
  if (stems.length === 0) return undefined;
  const node = rng.pick(stems);
  const stem = node.stem!;
  const before = stem.temporal;
  stem.temporal = rng.pick(space.stemTemporal[stem.stem]!.filter((t) => t !== before));
  return `stem ${node.key} temporal ${before}->${stem.temporal}`;
}

const STRUCTURAL = [changeDilation, splitNode, mergeNodes, changeStemTemporal];

/** A child of `parent` (mutated in place): the edge mutation plus, sometimes, one structural one. */
export function mutate(
  graph: Graph,
  space: SearchSpace,
  rule: EdgeRule,
  settings: MutationSettings,
  rng: Rng,
): string[] {
  const applied: string[] = [];
  if (rng.bernoulli(settings.structuralRate)) {
    for (const operator of rng.shuffle([...STRUCTURAL])) {
      const done = operator(graph, space, rng);
      if (done) {
        applied.push(done);
        break;
      }
    }
  }
  mutateEdges(graph, space, rule, settings, rng);
  applied.push(`edges:${rule}`);
  repairDeadNodes(graph, rng);
  return applied;
}
