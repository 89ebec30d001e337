/**
 * The job kinds a worker takes, each with a zod schema for its payload, the task module that
 * runs it (the same code as the local path, in a child process of the worker) and the files it
 * reads and writes (checked against the worker's --root and for visibility before it starts).
 *
 *   evolve-candidate  proxy-train and score one evolution candidate (pipelines/evolve/candidateTask.ts)
 *   classify-shard    classify a list of videos with a checkpoint, returning one row per video
 *   extract-shard     fill the clip cache for a list of videos (extractDataset)
 */
import { z } from 'zod';
import { safeParseGenome, type Genome } from '../../src/index.ts';
import type { CandidateRequest } from '../evolve/candidateTask.ts';
import { runConfigSchema } from '../../src/networks/runConfig.ts';

const absolutePath = z.string().regex(/^\//, 'expected an absolute path');

const genomeSchema = z.unknown().transform((value, ctx): Genome => {
  const result = safeParseGenome(value);
  if (result.success) return result.genome;
  for (const issue of result.issues)
    ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
  return z.NEVER;
});

const parentWeightsSchema = z.strictObject({
  index: z.number().int().min(0),
  genome: genomeSchema,
  keys: z.array(z.string()),
  dir: absolutePath,
});

export const evolveCandidateSchema = z.strictObject({
  genome: genomeSchema,
  manifest: absolutePath,
  classes: absolutePath.optional(),
  config: runConfigSchema,
  cacheDir: absolutePath,
  out: absolutePath,
  evalSplit: z.string().min(1),
  failed: z.array(z.string()),
  inherit: z
    .strictObject({
      index: z.number().int().min(0),
      keys: z.array(z.string()),
      parent: parentWeightsSchema.nullable(),
      saveTo: absolutePath,
    })
    .optional(),
});

export const classifyShardSchema = z.strictObject({
  checkpoint: absolutePath,
  videos: z.array(absolutePath).min(1),
  /** Videos the coordinator could not see either: they become error rows, as in a local run. */
  missing: z.array(absolutePath),
  cacheDir: absolutePath,
  clips: z.number().int().min(1).optional(),
  top: z.number().int().min(1).optional(),
});
export type ClassifyShardPayload = z.infer<typeof classifyShardSchema>;

const streamSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['rgb', 'flow']),
  frames: z.number().int().min(1),
  stride: z.number().int().min(1),
  flowGap: z.number().int().min(1).optional(),
});

export const extractShardSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        path: absolutePath,
        segments: z.array(z.strictObject({ start: z.number(), end: z.number() })).optional(),
      }),
    )
    .min(1),
  missing: z.array(absolutePath),
  cacheDir: absolutePath,
  flow: z.enum(['tvl1', 'farneback', 'none']),
  clips: z.number().int().min(0),
  trainClips: z.number().int().min(0),
  frames: z.number().int().min(1),
  size: z.number().int().min(1),
  fps: z.union([z.literal('native'), z.number().positive()]),
  streams: z.array(streamSchema).min(1),
  identity: z.enum(['stat', 'content']),
});
export type ExtractShardPayload = z.infer<typeof extractShardSchema>;

/**
 * Files a job names, all inside the worker's --root: `read` must exist, `write` must have an
 * existing parent folder, `other` is only checked against --root (videos missing everywhere).
 */
export interface JobPaths {
  read: string[];
  write: string[];
  other?: string[];
}

interface KindSpec {
  schema: z.ZodType;
  /** Task module (default export: payload -> result), run with runInChildProcess. */
  task: URL;
  paths: (payload: never) => JobPaths;
}

export const JOB_KINDS = {
  'evolve-candidate': {
    schema: evolveCandidateSchema,
    task: new URL('../evolve/candidateTask.ts', import.meta.url),
    paths: (p: CandidateRequest): JobPaths => ({
      read: [
        p.manifest,
        ...(p.classes ? [p.classes] : []),
        p.cacheDir,
        ...(p.inherit?.parent ? [p.inherit.parent.dir] : []),
      ],
      write: [p.out, ...(p.inherit ? [p.inherit.saveTo] : [])],
    }),
  },
  'classify-shard': {
    schema: classifyShardSchema,
    task: new URL('./tasks/classifyShard.ts', import.meta.url),
    paths: (p: ClassifyShardPayload): JobPaths => ({
      read: [p.checkpoint, p.cacheDir, ...p.videos.filter((v) => !p.missing.includes(v))],
      write: [],
      other: p.missing,
    }),
  },
  'extract-shard': {
    schema: extractShardSchema,
    task: new URL('./tasks/extractShard.ts', import.meta.url),
    paths: (p: ExtractShardPayload): JobPaths => ({
      read: [p.cacheDir, ...p.items.map((i) => i.path).filter((v) => !p.missing.includes(v))],
      write: [],
      other: p.missing,
    }),
  },
} as const satisfies Record<string, KindSpec>;

export type JobKind = keyof typeof JOB_KINDS;
export const JOB_KIND_NAMES = Object.keys(JOB_KINDS) as JobKind[];

export function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(JOB_KINDS, name);
}
