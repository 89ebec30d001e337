/**
 * An editable form of a genome for mutation: nodes carry stable keys, so a child's nodes can be
 * traced to its parent's (for weight inheritance and lineage) whatever the mutation did to the
 * node order. `toGenome` sorts nodes by level, which keeps every input below its consumer.
 */
import type { BlockLevel, Genome, StemNode } from '../src/index.ts';
import { isStem } from '../src/index.ts';
import type { SearchSpace } from './space.ts';

export interface GraphEdge {
  from: string;
  /** The learned connection weight of this edge in the parent, when known. */
  learned?: number;
}

export interface GraphNode {
  key: string;
  /** -1 for stems. */
  level: -1 | BlockLevel;
  stem?: StemNode;
  dilation: number;
  inputs: GraphEdge[];
}

export interface Graph {
  nodes: GraphNode[];
  nextKey: number;
}

/** Parses a genome into a graph; `keys` (from the parent's journal entry) keep node identity. */
export function fromGenome(genome: Genome, keys?: string[], learned?: number[][]): Graph {
  const nodeKeys =
    keys ?? genome.nodes.map((node, index) => (isStem(node) ? `s${index}` : `n${index}`));
  const nodes = genome.nodes.map((node, index): GraphNode => {
    if (isStem(node))
      return { key: nodeKeys[index]!, level: -1, stem: { ...node }, dilation: 1, inputs: [] };
    return {
      key: nodeKeys[index]!,
      level: node.level,
      dilation: node.dilation,
      inputs: node.inputs.map((input, k) => ({
        from: nodeKeys[input]!,
        ...(learned?.[index]?.[k] !== undefined ? { learned: learned[index]![k] } : {}),
      })),
    };
  });
  const numbers = nodeKeys.map((key) => Number(key.slice(1))).filter(Number.isFinite);
  return { nodes, nextKey: Math.max(genome.nodes.length, ...numbers.map((n) => n + 1)) };
}

export function levelOf(graph: Graph, key: string): number {
  return graph.nodes.find((node) => node.key === key)?.level ?? -1;
}

/** Keys of the nodes a level-`level` node may read: stems and nodes of lower levels. */
export function candidateInputs(graph: Graph, level: number): string[] {
  return graph.nodes.filter((node) => node.level < level).map((node) => node.key);
}

export interface GenomeWithKeys {
  genome: Genome;
  keys: string[];
}

/** The genome of a graph: nodes sorted by level (stable), widths and strides from the space. */
export function toGenome(graph: Graph, space: SearchSpace, name: string): GenomeWithKeys {
  const order = [...graph.nodes].sort((a, b) => a.level - b.level);
  const indexOf = new Map(order.map((node, index) => [node.key, index]));
  const nodes = order.map((node) => {
    if (node.stem) return { ...node.stem };
    const inputs = node.inputs.map((edge) => indexOf.get(edge.from)!).sort((a, b) => a - b);
    const level = node.level as BlockLevel;
    return {
      level,
      inputs,
      filters: space.filters[level],
      dilation: node.dilation,
      stride: level === 0 ? 1 : 2,
    };
  });
  return {
    genome: { name, modulesPerLevel: [...space.modulesPerLevel], fusion: space.fusion, nodes },
    keys: order.map((node) => node.key),
  };
}
