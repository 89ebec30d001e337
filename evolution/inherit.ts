/**
 * Weight inheritance from parent to child (pure: no tensors). Decides, variable by variable,
 * which of the child network's variables start from which of the parent's trained variables.
 *
 * Variables are named by the network's stable paths: `node<i>/stem/...`, `node<i>/fusion/...`,
 * `node<i>/block/...`, `head/...` (see AssembleNetwork.variables). Rules:
 * - a child node persists when the correspondence maps it to a parent node of the same kind
 *   (stem type; or block level, filters and stride). Dilations may differ: they change no
 *   variable shape, so the kernels are reused at the new dilation;
 * - a variable of a persisting node is copied from the same path of its parent node when the
 *   shapes match; a shape mismatch (e.g. module 0's first conv after the fused channel count
 *   changed) leaves it fresh, never an error;
 * - fusion edge weights are copied element by element, only for edges that persist: the
 *   source node maps to a parent node that was an input of the parent node. New edges keep
 *   their fresh initial value;
 * - head variables are copied when their shapes match.
 */
import { isBlock, isStem, type Genome } from '../src/index.ts';

export interface InheritanceSide {
  genome: Genome;
  /** Variable shapes by stable path. */
  shapes: Readonly<Record<string, readonly number[]>>;
}

export type FreshReason =
  | 'new node'
  | 'changed node'
  | 'shape'
  | 'not in parent'
  | 'no persisting edge';

export interface VariableCopy {
  child: string;
  parent: string;
  /** Partial copy (fusion edge weights): pairs [child element, parent element]. */
  elements?: [number, number][];
  /** Values copied. */
  values: number;
}

export interface InheritancePlan {
  /** Per child node: the parent node it persists from, or null. */
  nodes: (number | null)[];
  copies: VariableCopy[];
  fresh: { name: string; reason: FreshReason }[];
  /** Block input edges of the child whose edge exists in the parent, and the others. */
  edges: { inherited: number; fresh: number };
}

/** Counts for the journal. */
export interface InheritanceSummary {
  parent: number;
  persistedNodes: number;
  newNodes: number;
  copiedVariables: number;
  freshVariables: number;
  copiedValues: number;
  totalValues: number;
  inheritedEdges: number;
  freshEdges: number;
  /** Set when the parent's weights could not be used (the child trained from scratch). */
  skipped?: string;
}

/** Child node -> parent node with the same stable key (graph.ts keeps keys across mutations). */
export function correspondenceFromKeys(
  childKeys: readonly string[],
  parentKeys: readonly string[],
): (number | null)[] {
  const parentIndex = new Map(parentKeys.map((key, index) => [key, index]));
  return childKeys.map((key) => parentIndex.get(key) ?? null);
}

/** The correspondence kept to pairs of nodes whose variables can have equal shapes. */
export function persistingNodes(
  child: Genome,
  parent: Genome,
  correspondence: readonly (number | null)[],
): (number | null)[] {
  return child.nodes.map((node, index) => {
    const p = correspondence[index] ?? null;
    const other = p === null ? undefined : parent.nodes[p];
    if (!other) return null;
    if (isStem(node)) return isStem(other) && other.stem === node.stem ? p : null;
    if (!isBlock(other)) return null;
    return other.level === node.level &&
      other.filters === node.filters &&
      other.stride === node.stride
      ? p
      : null;
  });
}

const NODE_PATH = /^node(\d+)\/(.+)$/;
const EDGE_WEIGHTS = 'fusion/edge_weights';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function size(shape: readonly number[]): number {
  return shape.reduce((product, n) => product * n, 1);
}

export function planInheritance(
  child: InheritanceSide,
  parent: InheritanceSide,
  correspondence: readonly (number | null)[],
): InheritancePlan {
  const nodes = persistingNodes(child.genome, parent.genome, correspondence);
  const copies: VariableCopy[] = [];
  const fresh: InheritancePlan['fresh'] = [];

  // Per child edge (node c, input slot i): the slot of the same edge in the parent node, if any.
  const edgeSlots = child.genome.nodes.map((node, c) => {
    if (!isBlock(node)) return [];
    const p = nodes[c] ?? null;
    const parentNode = p === null ? undefined : parent.genome.nodes[p];
    return node.inputs.map((input) => {
      const q = nodes[input] ?? null;
      if (q === null || !parentNode || !isBlock(parentNode)) return null;
      const slot = parentNode.inputs.indexOf(q);
      return slot < 0 ? null : slot;
    });
  });
  const allEdges = edgeSlots.flat();
  const inherited = allEdges.filter((slot) => slot !== null).length;

  const copyWhole = (name: string, from: string) => {
    const shape = child.shapes[name]!;
    const stored = parent.shapes[from];
    if (!stored) fresh.push({ name, reason: 'not in parent' });
    else if (!sameShape(shape, stored)) fresh.push({ name, reason: 'shape' });
    else copies.push({ child: name, parent: from, values: size(shape) });
  };

  for (const name of Object.keys(child.shapes).sort()) {
    const match = NODE_PATH.exec(name);
    if (!match) {
      copyWhole(name, name);
      continue;
    }
    const c = Number(match[1]);
    const rest = match[2]!;
    const p = nodes[c] ?? null;
    if (p === null) {
      fresh.push({ name, reason: correspondence[c] == null ? 'new node' : 'changed node' });
      continue;
    }
    const from = `node${p}/${rest}`;
    if (rest !== EDGE_WEIGHTS) {
      copyWhole(name, from);
      continue;
    }
    const slots = edgeSlots[c] ?? [];
    const stored = parent.shapes[from];
    const elements = slots.flatMap((slot, i): [number, number][] =>
      slot === null ? [] : [[i, slot]],
    );
    if (!stored || stored.length !== 1 || elements.some(([, j]) => j >= stored[0]!)) {
      fresh.push({ name, reason: stored ? 'shape' : 'not in parent' });
    } else if (elements.length === 0) {
      fresh.push({ name, reason: 'no persisting edge' });
    } else {
      copies.push({ child: name, parent: from, elements, values: elements.length });
    }
  }
  return { nodes, copies, fresh, edges: { inherited, fresh: allEdges.length - inherited } };
}

export function summarizeInheritance(
  plan: InheritancePlan,
  parent: number,
  childShapes: InheritanceSide['shapes'],
): InheritanceSummary {
  const persisted = plan.nodes.filter((p) => p !== null).length;
  return {
    parent,
    persistedNodes: persisted,
    newNodes: plan.nodes.length - persisted,
    copiedVariables: plan.copies.length,
    freshVariables: plan.fresh.length,
    copiedValues: plan.copies.reduce((sum, copy) => sum + copy.values, 0),
    totalValues: Object.values(childShapes).reduce((sum, shape) => sum + size(shape), 0),
    inheritedEdges: plan.edges.inherited,
    freshEdges: plan.edges.fresh,
  };
}
