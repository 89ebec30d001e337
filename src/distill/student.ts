/**
 * Student architectures: compact (2+1)D networks for distillation, described as JSON.
 *
 * Grammar (validated with zod; problems come back with a path, e.g. `stages[1].kernels[0]`):
 *   {
 *     "name": "mobile-rgb",
 *     "frames": 8, "resolution": 112,            input clip: T frames of resolution x resolution
 *     "streams": "rgb" | "rgb+flow",             two-stream: one stem per stream, fused by
 *     "fusion": "sum" | "concat",                  sum or channel concat before the stages
 *     "stem": {"filters": 16, "kernel": 3, "activation": "hswish"},      spatial conv, stride 2
 *     "stages": [{
 *       "repeats": 2, "filters": 24, "stride": 2,  stride on the first block of the stage
 *       "expand": 4,                               1x1 expansion ratio (1 = no expansion conv)
 *       "kernels": [3, 5],                         depthwise kxk; several = MixNet channel groups
 *       "temporalKernel": 3, "temporalDilation": 1, depthwise temporal conv (1 = none)
 *       "se": 0.25,                                squeeze-and-excitation ratio of the block input (0 = none)
 *       "activation": "relu" | "hswish"
 *     }],
 *     "headFilters": 256                         1x1 conv before pooling (0 = none)
 *   }
 * Blocks are inverted bottlenecks (MobileNetV2/V3) in (2+1)D, see blocks.ts.
 */
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';

export const STUDENT_FORMAT = 'assemblenet-student';
export const STUDENT_STREAMS = ['rgb', 'rgb+flow'] as const;
export const ACTIVATIONS = ['relu', 'hswish'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

const positiveInt = z.number().int().min(1);
const oddKernel = z
  .number()
  .int()
  .min(1)
  .max(15)
  .refine((k) => k % 2 === 1, { message: 'expected an odd kernel size' });

const stageSchema = z.strictObject({
  repeats: positiveInt,
  filters: positiveInt,
  stride: z.union([z.literal(1), z.literal(2)]),
  expand: z.number().min(1).max(12),
  kernels: z.array(oddKernel).min(1).max(4),
  temporalKernel: oddKernel.default(3),
  temporalDilation: positiveInt.max(8).default(1),
  se: z.number().min(0).max(1).default(0),
  activation: z.enum(ACTIVATIONS).default('relu'),
});

const studentSchema = z.strictObject({
  format: z.literal(STUDENT_FORMAT).optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  frames: positiveInt,
  resolution: z.number().int().min(8),
  streams: z.enum(STUDENT_STREAMS).default('rgb'),
  fusion: z.enum(['sum', 'concat']).default('sum'),
  stem: z.strictObject({
    filters: positiveInt,
    kernel: oddKernel.default(3),
    activation: z.enum(ACTIVATIONS).default('hswish'),
  }),
  stages: z.array(stageSchema).min(1),
  headFilters: z.number().int().min(0).default(0),
});

export type StudentArch = z.output<typeof studentSchema>;
export type StudentStage = StudentArch['stages'][number];
/** The JSON a user writes (defaults not yet filled). */
export type StudentArchInput = z.input<typeof studentSchema>;

export interface StudentIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

export type StudentResult =
  | { success: true; arch: StudentArch }
  | { success: false; issues: StudentIssue[] };

export function formatStudentIssue(issue: StudentIssue): string {
  let text = '';
  for (const segment of issue.path)
    text += typeof segment === 'number' ? `[${segment}]` : text ? `.${segment}` : segment;
  return `${text || '(student)'}: ${issue.message}`;
}

export function safeParseStudent(value: unknown): StudentResult {
  const parsed = studentSchema.safeParse(value);
  if (!parsed.success) {
    return {
      success: false,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        code: issue.code,
        message: issue.message,
      })),
    };
  }
  const arch = parsed.data;
  const issues: StudentIssue[] = [];
  arch.stages.forEach((stage, index) => {
    const expanded = expandedChannels(
      index === 0 ? stemOutChannels(arch) : arch.stages[index - 1].filters,
      stage.expand,
    );
    if (stage.kernels.length > expanded) {
      issues.push({
        path: ['stages', index, 'kernels'],
        code: 'too_many_groups',
        message: `expected at most ${expanded} kernel groups (expanded channels), got ${stage.kernels.length}`,
      });
    }
  });
  return issues.length ? { success: false, issues } : { success: true, arch };
}

/** Validates a student JSON value; throws an InputError listing every problem with its path. */
export function parseStudent(value: unknown, source?: string): StudentArch {
  const result = safeParseStudent(value);
  if (result.success) return result.arch;
  const where = source ? ` (${source})` : '';
  throw new InputError(
    `student: invalid architecture${where}:\n  ${result.issues.map(formatStudentIssue).join('\n  ')}`,
  );
}

export function readStudent(file: string): StudentArch {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(
      `student: expected a JSON architecture in ${file}, got ${(error as Error).message}`,
    );
  }
  return parseStudent(value, file);
}

/** Stable JSON (keys in schema order, defaults filled) for hashing and saving. */
export function studentToJSON(arch: StudentArch): StudentArch {
  return studentSchema.parse(arch);
}

/** Channels out of the stem(s): the stem filters, doubled by a two-stream concat. */
export function stemOutChannels(arch: StudentArch): number {
  return arch.streams === 'rgb+flow' && arch.fusion === 'concat'
    ? 2 * arch.stem.filters
    : arch.stem.filters;
}

export function expandedChannels(inChannels: number, expand: number): number {
  return expand === 1 ? inChannels : Math.max(1, Math.round(inChannels * expand));
}

/** MixNet `_split_channels`: equal groups, the remainder to the first group. */
export function splitChannels(channels: number, groups: number): number[] {
  const sizes = Array.from({ length: groups }, () => Math.floor(channels / groups));
  sizes[0] += channels - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

/** Channels of the squeeze-and-excitation bottleneck (0 when the block has no SE). */
export function seChannels(inChannels: number, ratio: number): number {
  return ratio > 0 ? Math.max(1, Math.floor(inChannels * ratio)) : 0;
}

/** Input channels of each stream's stem. */
export const STREAM_CHANNELS = { rgb: 3, flow: 2 } as const;
export type StudentStream = keyof typeof STREAM_CHANNELS;

export function studentStreams(arch: StudentArch): StudentStream[] {
  return arch.streams === 'rgb+flow' ? ['rgb', 'flow'] : ['rgb'];
}

/** One block of the unrolled architecture, with its channel counts. */
export interface BlockPlan {
  stage: number;
  index: number;
  inChannels: number;
  /** Channels after the expansion (= inChannels when there is no expansion conv). */
  expanded: number;
  hasExpand: boolean;
  outChannels: number;
  stride: number;
  kernels: number[];
  temporalKernel: number;
  temporalDilation: number;
  seChannels: number;
  activation: Activation;
  residual: boolean;
}

/** Unrolls stages into blocks (stride on each stage's first block only). */
export function planStudentBlocks(arch: StudentArch): BlockPlan[] {
  const plans: BlockPlan[] = [];
  let channels = stemOutChannels(arch);
  arch.stages.forEach((stage, s) => {
    for (let r = 0; r < stage.repeats; r++) {
      const stride = r === 0 ? stage.stride : 1;
      const expanded = expandedChannels(channels, stage.expand);
      plans.push({
        stage: s,
        index: r,
        inChannels: channels,
        expanded,
        hasExpand: expanded !== channels,
        outChannels: stage.filters,
        stride,
        kernels: [...stage.kernels],
        temporalKernel: stage.temporalKernel,
        temporalDilation: stage.temporalDilation,
        seChannels: seChannels(channels, stage.se),
        activation: stage.activation,
        residual: stride === 1 && channels === stage.filters,
      });
      channels = stage.filters;
    }
  });
  return plans;
}

/** Channels of the features [B, C] given to the head's dense layer. */
export function studentFeatureChannels(arch: StudentArch): number {
  return arch.headFilters > 0 ? arch.headFilters : arch.stages[arch.stages.length - 1].filters;
}

/** Short stable hash of an architecture (its JSON with defaults filled, name excluded). */
export function studentHash(arch: StudentArch): string {
  const { name: _name, description: _description, ...shape } = studentToJSON(arch);
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}
