/**
 * The official flat-list encoding (tensorflow/models official/projects/assemblenet/configs):
 *
 *   stem:  [stem_type, temporal_dilation]          stem_type -1 RGB, -2 flow, -3 segmentation
 *   block: [level, [inputs], num_filters, temporal_dilation, spatial_stride, 0]
 *   edge weights (model_edge_weights): one entry per node, [] for stems and single-input nodes,
 *   [[w_0, ..., w_n]] (sigmoid values) otherwise; the whole list is [] when weights are learned.
 *
 * `fromOfficial` and `toOfficial` round-trip this encoding exactly. AssembleNet++lite's
 * per-layer filter triples are not supported (the bottleneck builder takes one width).
 */
import { InputError } from '../errors.ts';
import {
  DEPTH_MODULES,
  isStem,
  safeParseGenome,
  genomeError,
  type FusionKind,
  type Genome,
  type GenomeIssue,
  type GenomeNode,
  type GenomeResult,
  type ModulesPerLevel,
  type StemType,
} from './genome.ts';

export type OfficialStem = [number, number];
export type OfficialBlock = [number, number[], number, number, number, number];
export type OfficialNode = OfficialStem | OfficialBlock;
export type OfficialEdgeWeights = number[][][];

export interface OfficialEncoding {
  structure: OfficialNode[];
  /** [] when no node has frozen weights (the official "learn them" setting). */
  edgeWeights: OfficialEdgeWeights;
}

export interface FromOfficialOptions {
  name: string;
  depth?: number;
  modulesPerLevel?: ModulesPerLevel;
  /** Official model_edge_weights; [] or absent means learned weights. */
  edgeWeights?: unknown;
  description?: string;
  source?: string;
}

const STEM_CODES: Readonly<Record<number, StemType>> = {
  [-1]: 'rgb',
  [-2]: 'flow',
  [-3]: 'segmentation',
};
const STEM_NUMBERS: Readonly<Record<StemType, number>> = { rgb: -1, flow: -2, segmentation: -3 };

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function decodeNode(raw: unknown, index: number, issues: GenomeIssue[]): GenomeNode | undefined {
  const path = ['structure', index];
  if (!Array.isArray(raw) || raw.length === 0 || !isInt(raw[0])) {
    issues.push({
      path,
      code: 'invalid_type',
      message: 'expected [stem_type, dilation] or [level, inputs, filters, dilation, stride, 0]',
    });
    return undefined;
  }
  const head = raw[0];
  if (head < 0) {
    const stem = STEM_CODES[head];
    if (!stem) {
      issues.push({
        path: [...path, 0],
        code: 'unknown_stem',
        message: `unknown stem type ${head} (expected -1 rgb, -2 flow, -3 segmentation)`,
      });
      return undefined;
    }
    if (raw.length !== 2 || !isInt(raw[1])) {
      issues.push({
        path,
        code: 'invalid_stem',
        message: `expected [stem_type, temporal_dilation], got ${JSON.stringify(raw)}`,
      });
      return undefined;
    }
    return { stem, temporal: raw[1] };
  }
  const [level, inputs, filters, dilation, stride, reserved] = raw as unknown[];
  if (
    raw.length !== 6 ||
    !Array.isArray(inputs) ||
    !inputs.every(isInt) ||
    !isInt(filters) ||
    !isInt(dilation) ||
    !isInt(stride)
  ) {
    issues.push({
      path,
      code: 'invalid_block',
      message: `expected [level, [inputs], filters, dilation, stride, 0] with integers, got ${JSON.stringify(raw)}`,
    });
    return undefined;
  }
  if (reserved !== 0) {
    issues.push({
      path: [...path, 5],
      code: 'invalid_block',
      message: `expected 0 in the last entry, got ${JSON.stringify(reserved)}`,
    });
    return undefined;
  }
  return { level: level as 0, inputs: [...inputs], filters, dilation, stride };
}

/** Decodes the official flat list (and optional edge weights); never throws. */
export function safeFromOfficial(structure: unknown, options: FromOfficialOptions): GenomeResult {
  const issues: GenomeIssue[] = [];
  if (!Array.isArray(structure)) {
    return {
      success: false,
      issues: [{ path: ['structure'], code: 'invalid_type', message: 'expected a list of nodes' }],
    };
  }
  const nodes = structure.map((raw, index) => decodeNode(raw, index, issues));
  const weights = options.edgeWeights ?? [];
  if (!Array.isArray(weights)) {
    issues.push({
      path: ['edgeWeights'],
      code: 'invalid_type',
      message: 'expected a list (one entry per node) or []',
    });
  } else if (weights.length > 0) {
    if (weights.length !== structure.length) {
      issues.push({
        path: ['edgeWeights'],
        code: 'weights_length',
        message: `expected ${structure.length} entries (one per node), got ${weights.length}`,
      });
    } else {
      weights.forEach((entry: unknown, index) => {
        const node = nodes[index];
        if (Array.isArray(entry) && entry.length === 0) return;
        const values = Array.isArray(entry) && entry.length === 1 ? entry[0] : undefined;
        if (
          !Array.isArray(values) ||
          !values.every((v) => typeof v === 'number') ||
          !node ||
          isStem(node)
        ) {
          issues.push({
            path: ['edgeWeights', index],
            code: 'invalid_weights',
            message: 'expected [] or [[w, ...]] on a block node',
          });
          return;
        }
        node.weights = [...values];
      });
    }
  }
  if (issues.length > 0) return { success: false, issues };
  const fusion: FusionKind = 'sigmoid';
  const result = safeParseGenome({
    name: options.name,
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
    ...(options.depth !== undefined ? { depth: options.depth } : {}),
    ...(options.modulesPerLevel !== undefined ? { modulesPerLevel: options.modulesPerLevel } : {}),
    fusion,
    nodes,
  });
  if (result.success) return result;
  // Point genome paths back into the flat list: nodes[i] -> structure[i], weights -> edgeWeights.
  return {
    success: false,
    issues: result.issues.map((issue) => {
      const [first, index, field, ...rest] = issue.path;
      if (first !== 'nodes' || typeof index !== 'number') return issue;
      if (field === 'weights') return { ...issue, path: ['edgeWeights', index, 0, ...rest] };
      const slot = field === undefined ? [] : [OFFICIAL_SLOTS[field as string] ?? field];
      return { ...issue, path: ['structure', index, ...slot, ...rest] };
    }),
  };
}

const OFFICIAL_SLOTS: Readonly<Record<string, number>> = {
  level: 0,
  inputs: 1,
  filters: 2,
  dilation: 3,
  stride: 4,
  stem: 0,
  temporal: 1,
};

/** Decodes the official flat list; throws an InputError listing every issue. */
export function fromOfficial(structure: unknown, options: FromOfficialOptions): Genome {
  const result = safeFromOfficial(structure, options);
  if (result.success) return result.genome;
  throw genomeError(result.issues, options.name);
}

/** Encodes a genome as the official flat list and edge weights. */
export function toOfficial(genome: Genome): OfficialEncoding {
  if (genome.fusion !== 'sigmoid') {
    throw new InputError(
      `toOfficial: expected fusion "sigmoid" (the only official kind), got "${genome.fusion}"`,
    );
  }
  const structure: OfficialNode[] = genome.nodes.map((node) =>
    isStem(node)
      ? [STEM_NUMBERS[node.stem], node.temporal]
      : [node.level, [...node.inputs], node.filters, node.dilation, node.stride, 0],
  );
  const anyWeights = genome.nodes.some((node) => !isStem(node) && node.weights !== undefined);
  const edgeWeights: OfficialEdgeWeights = anyWeights
    ? genome.nodes.map((node) => (!isStem(node) && node.weights ? [[...node.weights]] : []))
    : [];
  return { structure, edgeWeights };
}

/** The official depth of `modules`, if it is one of the published ones. */
export function depthOfModules(modules: ModulesPerLevel): number | undefined {
  for (const [depth, expected] of Object.entries(DEPTH_MODULES)) {
    if (expected.every((count, level) => count === modules[level])) return Number(depth);
  }
  return undefined;
}
