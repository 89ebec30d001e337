/**
 * The AssembleNet genome: a JSON description of a multi-stream (2+1)D network.
 *
 * Grammar (one JSON object; `nodes` is the architecture, timm-style "arch as data"):
 *
 *   {
 *     "format": "assemblenet-genome/1",           optional tag
 *     "name": "assemblenet-50",
 *     "description": "...", "source": "...",       optional text
 *     "depth": 50,                                 official depth -> modules per level, or
 *     "modulesPerLevel": [3, 4, 6, 3],             residual modules in each block of level 0..3
 *     "fusion": "sigmoid" | "fast-normalised",     how a node with several inputs weighs them
 *     "nodes": [
 *       { "stem": "rgb" | "flow" | "segmentation", "temporal": 4 },
 *       { "level": 0, "inputs": [0, 1], "filters": 32, "dilation": 1, "stride": 1,
 *         "weights": [0.585, 0.607] }             optional, one per input, frozen when given
 *     ]
 *   }
 *
 * Node i reads the outputs of `inputs`, all of index below i (so the graph is acyclic by
 * construction). A block's output has 4 x filters channels. The head averages the level-3 nodes.
 * `weights` are sigmoid values in (0, 1) for "sigmoid" fusion (the official encoding) and
 * non-negative raw weights for "fast-normalised" fusion (EfficientDet: w_i / (eps + sum w_j)).
 * The stem's `temporal` value is, as in the official code, the temporal dilation of the RGB stem's
 * k=5 temporal conv; every stem sees every input frame (see stem.ts).
 *
 * Errors are data: every problem is a `GenomeIssue` with a path into the JSON
 * (`nodes[7].inputs[2]: input 9 is not below node 7`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.ts';

export const GENOME_FORMAT = 'assemblenet-genome/1';
export const STEM_TYPES = ['rgb', 'flow', 'segmentation'] as const;
export type StemType = (typeof STEM_TYPES)[number];
export const FUSION_KINDS = ['sigmoid', 'fast-normalised'] as const;
export type FusionKind = (typeof FUSION_KINDS)[number];
export const BLOCK_LEVELS = [0, 1, 2, 3] as const;
export type BlockLevel = (typeof BLOCK_LEVELS)[number];
export type ModulesPerLevel = [number, number, number, number];

/** Residual modules per level for the official depths (assemblenet.py ASSEMBLENET_SPECS). */
export const DEPTH_MODULES: Readonly<Record<number, ModulesPerLevel>> = Object.freeze({
  26: [2, 2, 2, 2],
  38: [2, 4, 4, 2],
  50: [3, 4, 6, 3],
  68: [3, 4, 12, 3],
  77: [3, 4, 15, 3],
  101: [3, 4, 23, 3],
});

export interface StemNode {
  stem: StemType;
  /** Temporal dilation of the stem's temporal conv (RGB only; kept for the others). */
  temporal: number;
}

export interface BlockNode {
  level: BlockLevel;
  /** Indices of the nodes this one reads, each below this node's index. */
  inputs: number[];
  /** Bottleneck width; the block outputs 4 x filters channels. */
  filters: number;
  /** Temporal dilation of the block's temporal convs. */
  dilation: number;
  /** Spatial stride of the block's first module. */
  stride: number;
  /** Frozen connection weights, one per input (sigmoid values or fast-fusion weights). */
  weights?: number[];
}

export type GenomeNode = StemNode | BlockNode;

export interface Genome {
  name: string;
  description?: string;
  source?: string;
  depth?: number;
  modulesPerLevel: ModulesPerLevel;
  fusion: FusionKind;
  nodes: GenomeNode[];
}

export interface GenomeIssue {
  /** Path into the genome JSON, e.g. ['nodes', 7, 'inputs', 2]. */
  path: (string | number)[];
  /** Stable machine code: zod's codes plus input_not_below, no_inputs, dead_node, ... */
  code: string;
  message: string;
}

export type GenomeResult =
  | { success: true; genome: Genome }
  | { success: false; issues: GenomeIssue[] };

export function isStem(node: GenomeNode): node is StemNode {
  return 'stem' in node;
}

export function isBlock(node: GenomeNode): node is BlockNode {
  return 'level' in node;
}

/** `['nodes', 7, 'inputs', 2]` -> `nodes[7].inputs[2]`. */
export function formatIssuePath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text ? `.${segment}` : segment;
  }
  return text || '(genome)';
}

export function formatIssue(issue: GenomeIssue): string {
  return `${formatIssuePath(issue.path)}: ${issue.message}`;
}

/**
 * Upper bounds of every size in a genome: far above the published networks (AssembleNet-101
 * has 15 nodes, filters <= 512, 23 modules at level 2), far below what exhausts memory. A
 * network's total size is checked separately before it is built (network.ts).
 */
export const GENOME_BOUNDS = Object.freeze({
  nodes: 256,
  inputsPerNode: 64,
  filters: 2048,
  /** Temporal dilation of stems and blocks. */
  dilation: 64,
  modulesPerLevel: 64,
  depth: 1000,
  textLength: 10_000,
});

const positiveInt = z.number().int().min(1);
const bounded = (max: number) => positiveInt.max(max);

const stemSchema = z.strictObject({
  stem: z.enum(STEM_TYPES),
  temporal: bounded(GENOME_BOUNDS.dilation),
});

const blockSchema = z.strictObject({
  level: z.number().int(),
  inputs: z.array(z.number().int().min(0)).max(GENOME_BOUNDS.inputsPerNode),
  filters: bounded(GENOME_BOUNDS.filters),
  dilation: bounded(GENOME_BOUNDS.dilation),
  stride: z.number().int(),
  weights: z.array(z.number()).max(GENOME_BOUNDS.inputsPerNode).optional(),
});

const modules = bounded(GENOME_BOUNDS.modulesPerLevel);
const text = z.string().max(GENOME_BOUNDS.textLength);

const genomeSchema = z.strictObject({
  format: z.literal(GENOME_FORMAT).optional(),
  name: text.min(1),
  description: text.optional(),
  source: text.optional(),
  depth: bounded(GENOME_BOUNDS.depth).optional(),
  modulesPerLevel: z.tuple([modules, modules, modules, modules]).optional(),
  fusion: z.enum(FUSION_KINDS).default('sigmoid'),
  nodes: z.array(z.unknown()).min(1).max(GENOME_BOUNDS.nodes),
});

function zodIssues(error: z.ZodError, prefix: (string | number)[]): GenomeIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    code: issue.code,
    message: issue.message,
  }));
}

function parseNode(value: unknown, index: number): { node?: GenomeNode; issues: GenomeIssue[] } {
  const path = ['nodes', index];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      issues: [
        { path, code: 'invalid_type', message: `expected a node object, got ${describe(value)}` },
      ],
    };
  }
  const schema = 'stem' in value ? stemSchema : 'level' in value ? blockSchema : undefined;
  if (!schema) {
    return {
      issues: [
        {
          path,
          code: 'invalid_node',
          message:
            'expected a stem node {stem, temporal} or a block node {level, inputs, filters, dilation, stride}',
        },
      ],
    };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { issues: zodIssues(parsed.error, path) };
  return { node: parsed.data as GenomeNode, issues: [] };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Checks of one block node that need no other node. */
function checkBlock(node: BlockNode, index: number, fusion: FusionKind): GenomeIssue[] {
  const issues: GenomeIssue[] = [];
  const at = (...rest: (string | number)[]) => ['nodes', index, ...rest];
  if (!(BLOCK_LEVELS as readonly number[]).includes(node.level)) {
    issues.push({
      path: at('level'),
      code: 'bad_level',
      message: `expected level 0..3, got ${node.level}`,
    });
  }
  if (node.stride !== 1 && node.stride !== 2) {
    issues.push({
      path: at('stride'),
      code: 'bad_stride',
      message: `expected stride 1 or 2, got ${node.stride}`,
    });
  }
  if (node.inputs.length === 0) {
    issues.push({ path: at('inputs'), code: 'no_inputs', message: `node ${index} has no inputs` });
  }
  const seen = new Set<number>();
  node.inputs.forEach((input, k) => {
    if (input >= index) {
      issues.push({
        path: at('inputs', k),
        code: 'input_not_below',
        message: `input ${input} is not below node ${index}`,
      });
    }
    if (seen.has(input)) {
      issues.push({
        path: at('inputs', k),
        code: 'duplicate_input',
        message: `input ${input} is listed twice`,
      });
    }
    seen.add(input);
  });
  if (node.weights !== undefined) {
    if (node.inputs.length === 1) {
      issues.push({
        path: at('weights'),
        code: 'weights_single_input',
        message: 'expected no weights on a single-input node (its weight is 1)',
      });
    } else if (node.weights.length !== node.inputs.length) {
      issues.push({
        path: at('weights'),
        code: 'weights_length',
        message: `expected ${node.inputs.length} weights (one per input), got ${node.weights.length}`,
      });
    }
    node.weights.forEach((weight, k) => {
      const ok =
        fusion === 'sigmoid' ? weight > 0 && weight < 1 : Number.isFinite(weight) && weight >= 0;
      if (!ok) {
        issues.push({
          path: at('weights', k),
          code: 'weight_range',
          message:
            fusion === 'sigmoid'
              ? `expected a sigmoid value in (0, 1), got ${weight}`
              : `expected a non-negative fast-fusion weight, got ${weight}`,
        });
      }
    });
  }
  return issues;
}

/** Checks of the whole graph: stems, outputs, dead nodes, head widths, depth metadata. */
function checkGraph(
  nodes: GenomeNode[],
  depth: number | undefined,
  modules: ModulesPerLevel | undefined,
): GenomeIssue[] {
  const issues: GenomeIssue[] = [];
  if (!nodes.some(isStem)) {
    issues.push({
      path: ['nodes'],
      code: 'no_stems',
      message: 'expected at least one stem node, got none',
    });
  }
  const outputs = nodes.flatMap((node, index) =>
    isBlock(node) && node.level === 3 ? [index] : [],
  );
  if (outputs.length === 0) {
    issues.push({
      path: ['nodes'],
      code: 'no_output',
      message: 'expected at least one level-3 node (the head reads level 3), got none',
    });
  } else {
    const first = nodes[outputs[0]] as BlockNode;
    for (const index of outputs.slice(1)) {
      const node = nodes[index] as BlockNode;
      if (node.filters !== first.filters) {
        issues.push({
          path: ['nodes', index, 'filters'],
          code: 'head_width_mismatch',
          message: `expected every level-3 node to have ${first.filters} filters (the head averages them), got ${node.filters}`,
        });
      }
    }
    // A node is live when some level-3 node depends on it.
    const live = new Set<number>(outputs);
    for (let index = nodes.length - 1; index >= 0; index--) {
      const node = nodes[index];
      if (!live.has(index) || !isBlock(node)) continue;
      for (const input of node.inputs) if (input < index) live.add(input);
    }
    nodes.forEach((_, index) => {
      if (!live.has(index)) {
        issues.push({
          path: ['nodes', index],
          code: 'dead_node',
          message: `node ${index} reaches no level-3 node (its output is unused)`,
        });
      }
    });
  }
  if (depth === undefined && modules === undefined) {
    issues.push({
      path: ['depth'],
      code: 'no_depth',
      message: 'expected "depth" or "modulesPerLevel", got neither',
    });
  } else if (depth !== undefined && !(depth in DEPTH_MODULES) && modules === undefined) {
    issues.push({
      path: ['depth'],
      code: 'unknown_depth',
      message: `expected depth ${Object.keys(DEPTH_MODULES).join('|')} or "modulesPerLevel", got ${depth}`,
    });
  } else if (depth !== undefined && modules !== undefined && depth in DEPTH_MODULES) {
    const expected = DEPTH_MODULES[depth];
    if (expected.some((count, level) => count !== modules[level])) {
      issues.push({
        path: ['modulesPerLevel'],
        code: 'depth_mismatch',
        message: `expected [${expected.join(',')}] for depth ${depth}, got [${modules.join(',')}]`,
      });
    }
  }
  return issues;
}

/** Validates a genome value (parsed JSON); never throws. */
export function safeParseGenome(value: unknown): GenomeResult {
  const top = genomeSchema.safeParse(value);
  if (!top.success) return { success: false, issues: zodIssues(top.error, []) };
  const { nodes: rawNodes, depth, modulesPerLevel, fusion, ...meta } = top.data;
  const issues: GenomeIssue[] = [];
  const nodes: GenomeNode[] = [];
  rawNodes.forEach((raw, index) => {
    const parsed = parseNode(raw, index);
    issues.push(...parsed.issues);
    if (parsed.node) {
      nodes.push(parsed.node);
      if (isBlock(parsed.node)) issues.push(...checkBlock(parsed.node, index, fusion));
    }
  });
  if (issues.length > 0) return { success: false, issues };
  issues.push(...checkGraph(nodes, depth, modulesPerLevel));
  if (issues.length > 0) return { success: false, issues };
  const genome: Genome = {
    name: meta.name,
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    ...(meta.source !== undefined ? { source: meta.source } : {}),
    ...(depth !== undefined ? { depth } : {}),
    modulesPerLevel: modulesPerLevel ?? [...DEPTH_MODULES[depth as number]],
    fusion,
    nodes,
  };
  return { success: true, genome };
}

/** Validates a genome value; throws an InputError listing every issue (`source` names the file). */
export function parseGenome(value: unknown, source?: string): Genome {
  const result = safeParseGenome(value);
  if (result.success) return result.genome;
  throw genomeError(result.issues, source);
}

export function genomeError(issues: GenomeIssue[], source?: string): InputError {
  const list = issues.map(formatIssue).join('; ');
  return new InputError(
    `genome: expected a valid genome, got ${issues.length} problem(s): ${list}`,
    source,
  );
}

/** Reads and validates a genome JSON file; never throws (unreadable files become one issue). */
export function safeReadGenome(file: string): GenomeResult & { file: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      success: false,
      file,
      issues: [{ path: [], code: 'unreadable', message: `cannot read JSON: ${message}` }],
    };
  }
  return { ...safeParseGenome(value), file };
}

/** Reads and validates a genome JSON file; errors name the file. */
export function readGenome(file: string): Genome {
  const result = safeReadGenome(file);
  if (result.success) return result.genome;
  throw genomeError(result.issues, file);
}

/** The JSON form of a genome (what `parseGenome` reads back). */
export function genomeToJSON(genome: Genome): Record<string, unknown> {
  return { format: GENOME_FORMAT, ...genome };
}

/** The same genome with every frozen connection weight removed (all weights become learnable). */
export function stripConnectionWeights(genome: Genome): Genome {
  return {
    ...genome,
    nodes: genome.nodes.map((node) => {
      if (isStem(node)) return { ...node };
      const { weights: _frozen, ...rest } = node;
      return { ...rest, inputs: [...node.inputs] };
    }),
  };
}
