/**
 * Pipeline files: a dataset, shared run settings, and stages run in order. Every stage writes
 * into its own folder under `out` and is skipped when its `done.json` says it finished with the
 * same parameters, so a pipeline killed at any point resumes where it stopped.
 *
 *   {
 *     "name": "demo", "out": "runs/demo",
 *     "dataset": { "spec": "synthetic-motion", "seed": 1 },
 *     "settings": { "frames": 8, "size": 64, ... },          RunConfig defaults for every stage
 *     "stages": [
 *       { "stage": "generate" },
 *       { "stage": "extract" },
 *       { "stage": "evolve", "space": "evolution/spaces/two-stream-small.json", "budget": 6 },
 *       { "stage": "train", "name": "evolved", "genome": "@evolve" },
 *       { "stage": "train", "name": "assemblenet-50", "genome": "evolution/assemblenet-50.json" },
 *       { "stage": "classify", "model": "evolved", "split": "test" },
 *       { "stage": "distill", "teacher": "assemblenet-50", "latencyTarget": "30ms", "budget": 4, "rgbOnly": true },
 *       { "stage": "summary" }
 *     ]
 *   }
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, parseLatency } from '../../src/index.ts';
import { DEFAULT_SEARCH_SETTINGS, DEFAULT_STRATEGY, STRATEGIES } from '../../evolution/index.ts';
import { DISTILL_DEFAULTS } from '../jobs/distill.ts';
import { runConfigOverridesSchema } from '../../src/networks/runConfig.ts';
import { parseQueueUrl } from '../queue/connection.ts';

const settingsSchema = runConfigOverridesSchema;
// A student keeps the teacher's clip shape and flow settings: only training settings change.
const distillSettingsSchema = runConfigOverridesSchema.pick({
  epochs: true,
  batch: true,
  lr: true,
  warmupEpochs: true,
  momentum: true,
  nesterov: true,
  weightDecay: true,
  bnMomentum: true,
  seed: true,
});

const stageSchema = z.discriminatedUnion('stage', [
  z.strictObject({ stage: z.literal('generate') }),
  z.strictObject({ stage: z.literal('extract') }),
  z.strictObject({
    stage: z.literal('evolve'),
    space: z.string(),
    budget: z.number().int().min(1),
    strategy: z.enum(STRATEGIES).default(DEFAULT_STRATEGY),
    population: z.number().int().min(1).default(DEFAULT_SEARCH_SETTINGS.populationSize),
    tournament: z.number().int().min(1).default(DEFAULT_SEARCH_SETTINGS.tournamentSize),
    batchSize: z.number().int().min(1).default(DEFAULT_SEARCH_SETTINGS.batchSize),
    pruneThreshold: z.number().min(0).max(1).default(DEFAULT_SEARCH_SETTINGS.pruneThreshold),
    structuralRate: z.number().min(0).max(1).default(DEFAULT_SEARCH_SETTINGS.structuralRate),
    /** Children start from the parent's trained weights (absent: false, earlier done.json stay valid). */
    inheritWeights: z.boolean().optional(),
    /** Proxy trainings per candidate, fitness = their mean (absent: 1). */
    proxySeeds: z.number().int().min(1).optional(),
    settings: settingsSchema.default({}),
  }),
  z.strictObject({
    stage: z.literal('train'),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected a name usable as a folder'),
    /** A genome file, or "@evolve" for the best genome of the evolve stage. */
    genome: z.string(),
    settings: settingsSchema.default({}),
  }),
  z.strictObject({
    stage: z.literal('classify'),
    /** Name of a train stage. */
    model: z.string(),
    split: z.string().default('test'),
  }),
  z.strictObject({
    stage: z.literal('distill'),
    /** Folder name: distill-<name> under the pipeline's out. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'expected a name usable as a folder')
      .default('student'),
    /** The name of an earlier train stage, or a checkpoint folder (a path: contains a slash). */
    teacher: z.string().min(1),
    /** A duration ("30ms", "0.5s") or milliseconds. */
    latencyTarget: z
      .union([z.string(), z.number()])
      .default(`${DISTILL_DEFAULTS.latencyTargetMs}ms`),
    budget: z.number().int().min(1).default(DISTILL_DEFAULTS.budget),
    rgbOnly: z.boolean().default(false),
    /** Student search space file (default evolution/students/space.json). */
    space: z.string().optional(),
    /** KD epochs of each searched student. */
    searchEpochs: z.number().int().min(1).default(DISTILL_DEFAULTS.searchEpochs),
    /** Student training settings over the teacher's (epochs = KD epochs of the chosen student). */
    settings: distillSettingsSchema.default({}),
  }),
  z.strictObject({ stage: z.literal('summary') }),
]);

export const pipelineSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  out: z.string().min(1),
  dataset: z.strictObject({
    /** A shipped spec name (synthetic-motion) or a spec file; or `manifest` for a real dataset. */
    spec: z.string().optional(),
    seed: z.number().int().optional(),
    manifest: z.string().optional(),
    classes: z.string().optional(),
  }),
  settings: settingsSchema.default({}),
  workers: z.number().int().min(1).optional(),
  /** redis:// URL: evolve candidates and classify shards go to `assemblenet worker` processes. */
  queue: z
    .string()
    .superRefine((url, ctx) => {
      try {
        parseQueueUrl(url);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  stages: z.array(stageSchema).min(1),
});

export type PipelineSpec = z.infer<typeof pipelineSchema>;
export type StageSpec = PipelineSpec['stages'][number];

function issuePath(path: PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || '(pipeline)'
  );
}

export function parsePipeline(value: unknown, source: string): PipelineSpec {
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) {
    const list = parsed.error.issues
      .map((issue) => `${issuePath(issue.path)}: ${issue.message}`)
      .join('; ');
    throw new InputError(`pipeline: expected a valid pipeline file, got: ${list}`, source);
  }
  const spec = parsed.data;
  if (!spec.dataset.spec === !spec.dataset.manifest) {
    throw new InputError(
      'pipeline: dataset: expected exactly one of "spec" (synthetic) or "manifest", got ' +
        (spec.dataset.spec ? 'both' : 'neither'),
      source,
    );
  }
  const trains = new Set<string>();
  const distills = new Set<string>();
  spec.stages.forEach((stage, index) => {
    const at = `stages[${index}]`;
    if (stage.stage === 'train') {
      if (trains.has(stage.name))
        throw new InputError(
          `pipeline: ${at}.name: "${stage.name}" is used by an earlier train stage`,
          source,
        );
      trains.add(stage.name);
      if (
        stage.genome === '@evolve' &&
        !spec.stages.slice(0, index).some((s) => s.stage === 'evolve')
      ) {
        throw new InputError(
          `pipeline: ${at}.genome: "@evolve" needs an evolve stage before it`,
          source,
        );
      }
    }
    if (stage.stage === 'distill') {
      if (distills.has(stage.name))
        throw new InputError(
          `pipeline: ${at}.name: "${stage.name}" is used by an earlier distill stage`,
          source,
        );
      distills.add(stage.name);
      if (!trains.has(stage.teacher) && !/[\\/]/.test(stage.teacher)) {
        throw new InputError(
          `pipeline: ${at}.teacher: expected the name of an earlier train stage (${[...trains].join(', ') || 'none'}) or a checkpoint folder path, got "${stage.teacher}"`,
          source,
        );
      }
      try {
        parseLatency(stage.latencyTarget);
      } catch (error) {
        throw new InputError(`pipeline: ${at}.latencyTarget: ${(error as Error).message}`, source);
      }
    }
    if (stage.stage === 'classify' && !trains.has(stage.model)) {
      throw new InputError(
        `pipeline: ${at}.model: expected the name of an earlier train stage (${[...trains].join(', ') || 'none'}), got "${stage.model}"`,
        source,
      );
    }
  });
  return spec;
}

export function readPipeline(file: string): PipelineSpec {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`pipeline: cannot read JSON: ${(error as Error).message}`, file);
  }
  return parsePipeline(value, file);
}
