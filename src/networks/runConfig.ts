/**
 * The settings of a training run, shared by `train`, `evolve` (proxy training), `eval` and
 * `classify` (which read them back from the checkpoint). Defaults are sized for 2 CPU cores:
 * minutes, not hours, on the synthetic sets; bigger settings by flags or pipeline files.
 */
import { z } from 'zod';
import { clipTemplate, type ClipTemplate } from '../data/clipBatches.ts';
import { InputError } from '../errors.ts';
import { isStem, type Genome } from '../model/genome.ts';

/** Every number has an upper bound: past it a setting is a typo, not a plan (issue: sizes). */
export const runConfigSchema = z.strictObject({
  // data
  frames: z.number().int().min(1).max(512).default(8),
  // 32 px: 4x cheaper per step than 64 px on 2 cores, and measured better at a fixed time budget
  // (README "Results"); the synthetic clips are 64 px, objects 14-22 px.
  size: z.number().int().min(8).max(1024).default(32),
  fps: z.union([z.literal('native'), z.number().positive().max(1000)]).default('native'),
  // Farneback: at 32 px the same AssembleNet-50 run scored 70% val / 52.5% test top-1 with it and
  // 25% / 20% with TV-L1 (README "Results"), at a quarter of the flow cost.
  flow: z.enum(['tvl1', 'farneback']).default('farneback'),
  flowBound: z.number().positive().max(1000).default(20),
  trainClips: z.number().int().min(1).max(100).default(2),
  testClips: z.number().int().min(1).max(100).default(2),
  // augmentation: largest random translation of a training clip, pixels (0: none)
  shift: z.number().int().min(0).max(256).default(3),
  // model
  width: z.number().positive().max(8).default(0.25),
  // Short runs need a faster running average than the official 0.99, or inference sees
  // batch-norm statistics that have not converged (1 - 0.99^100 = 63% after 100 steps).
  bnMomentum: z.number().min(0).max(1).default(0.9),
  modules: z
    .tuple([
      z.number().int().min(1).max(64),
      z.number().int().min(1).max(64),
      z.number().int().min(1).max(64),
      z.number().int().min(1).max(64),
    ])
    .default([1, 1, 1, 1]),
  // optimisation
  epochs: z.number().int().min(1).max(100_000).default(16),
  batch: z.number().int().min(1).max(4096).default(8),
  lr: z.number().positive().max(1000).default(0.1),
  warmupEpochs: z.number().min(0).max(100_000).default(1),
  momentum: z.number().min(0).max(1).default(0.9),
  nesterov: z.boolean().default(true),
  weightDecay: z.number().min(0).max(1).default(5e-4),
  seed: z.number().int().default(1),
});

export type RunConfig = z.infer<typeof runConfigSchema>;

/**
 * Some run settings, none filled in: for overrides merged over other settings. (`.partial()`
 * would keep the defaults, so a stage's `{epochs: 1}` would also reset every other setting.)
 */
export const runConfigOverridesSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(runConfigSchema.shape).map(([key, field]) => [key, field.unwrap().optional()]),
  ) as {
    [K in keyof typeof runConfigSchema.shape]: z.ZodOptional<
      ReturnType<(typeof runConfigSchema.shape)[K]['unwrap']>
    >;
  },
);

export function parseRunConfig(value: unknown, source = 'run settings'): RunConfig {
  const parsed = runConfigSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const list = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(settings)'}: ${issue.message}`)
      .join('; ');
    throw new InputError(`${source}: expected valid run settings, got: ${list}`);
  }
  return parsed.data;
}

/** Every run setting at its default (the schema's), for help texts and fallbacks. */
export const RUN_CONFIG_DEFAULTS: RunConfig = parseRunConfig({});

/** Stream kinds a genome reads: one per stem type it has. */
export function genomeStreams(genome: Genome): ('rgb' | 'flow')[] {
  const kinds = new Set<'rgb' | 'flow'>();
  for (const node of genome.nodes) {
    if (!isStem(node)) continue;
    if (node.stem === 'segmentation') {
      throw new InputError(
        `genome ${genome.name}: segmentation stems need object masks, which this pipeline does not produce`,
      );
    }
    kinds.add(node.stem);
  }
  return [...kinds].sort();
}

/** The clip requests of a run for `genome`: its streams at the run's frames, size, fps and flow. */
export function templateFor(genome: Genome, config: RunConfig, cacheDir: string): ClipTemplate {
  return clipTemplate({
    streams: genomeStreams(genome),
    frames: config.frames,
    size: config.size,
    fps: config.fps,
    flow: config.flow,
    flowBound: config.flowBound,
    cacheDir,
  });
}
