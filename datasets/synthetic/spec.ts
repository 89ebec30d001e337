import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../src/index.ts';

/** Upper bounds of a spec's counts (the shipped specs use 8 classes, 24 videos per class, 96 videos). */
export const SPEC_BOUNDS = Object.freeze({ videos: 100_000, classes: 1000, perVideo: 64 });

const range = z
  .tuple([z.number().min(-1e6).max(1e6), z.number().min(-1e6).max(1e6)])
  .refine(([min, max]) => min <= max, { message: 'expected [min, max] with min <= max' });
const intRange = z
  .tuple([
    z.number().int().min(0).max(SPEC_BOUNDS.perVideo),
    z.number().int().min(0).max(SPEC_BOUNDS.perVideo),
  ])
  .refine(([min, max]) => min <= max, { message: 'expected [min, max] with min <= max' });

/** A motion pattern. Directions in degrees, 0 = right, 90 = up; distances in pixels; times in frames. */
export const motionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('translate'),
    direction: z.number(),
    speed: z.number().positive(),
  }),
  z.strictObject({
    kind: z.literal('oscillate'),
    direction: z.number(),
    amplitude: z.number().positive(),
    period: z.number().min(2),
  }),
  /** Degrees per frame, positive = clockwise on screen. */
  z.strictObject({
    kind: z.literal('rotate'),
    speed: z.number().refine((v) => v !== 0, 'expected a non-zero speed'),
  }),
  /** Size factor per frame: > 1 expands, < 1 contracts. */
  z.strictObject({ kind: z.literal('scale'), rate: z.number().positive() }),
  /** Size oscillates by +-amplitude (fraction) with the period. */
  z.strictObject({
    kind: z.literal('pulse'),
    amplitude: z.number().positive().max(0.9),
    period: z.number().min(2),
  }),
]);
export type MotionSpec = z.infer<typeof motionSchema>;

export const SHAPES = ['circle', 'square', 'triangle', 'ring', 'cross', 'diamond'] as const;
export type ShapeName = (typeof SHAPES)[number];

const videoSchema = z.strictObject({
  width: z
    .number()
    .int()
    .min(16)
    .max(1024)
    .refine((v) => v % 2 === 0, 'expected an even width (H.264 yuv420p)'),
  height: z
    .number()
    .int()
    .min(16)
    .max(1024)
    .refine((v) => v % 2 === 0, 'expected an even height (H.264 yuv420p)'),
  frames: z.number().int().min(2).max(1000),
  fps: z.number().positive().max(120),
  codec: z.enum(['h264', 'vp9', 'mpeg4', 'mjpeg']).default('h264'),
  crf: z.number().int().min(0).max(51).default(18),
});

const sceneSchema = z.strictObject({
  /** Moving objects per video (motion set) or distractors (charades set). */
  objects: intRange.default([1, 3]),
  /** Object diameter in pixels. */
  objectSize: range.default([10, 18]),
  shapes: z
    .array(z.enum(SHAPES))
    .min(1)
    .default([...SHAPES]),
  /** Camera shake: whole-frame offset per frame, in pixels (integer). */
  jitter: z.number().int().min(0).max(8).default(1),
  /** Per-frame sensor noise, +- this much on 0..255. */
  noise: z.number().min(0).max(64).default(4),
  /** Background texture contrast, 0 (flat) .. 1. */
  texture: z.number().min(0).max(1).default(0.5),
  /** Per-video speed factor drawn from [1 - speedJitter, 1 + speedJitter]. */
  speedJitter: z.number().min(0).max(0.5).default(0.15),
  /**
   * Motion set: still (or `distractorMotion`) objects beside the class objects. (The Charades set
   * draws its distractors from `objects`.)
   */
  distractors: intRange.default([0, 0]),
  /** What distractor objects do (default: hold still), e.g. spin in place. */
  distractorMotion: motionSchema.optional(),
  /**
   * Colour distance (0..255 scale) of a tinted class's objects from gray of the same luminance:
   * the strength of the appearance cue of classes with a `tint`.
   */
  tintChroma: z.number().min(0).max(100).default(60),
  /** Background colourfulness: 1 as drawn, 0 gray (its luminance and texture unchanged). */
  backgroundSaturation: z.number().min(0).max(1).default(1),
});

const splitsSchema = z
  .strictObject({ train: z.number().min(0), val: z.number().min(0), test: z.number().min(0) })
  .refine((s) => Math.abs(s.train + s.val + s.test - 1) < 1e-6, 'expected train + val + test = 1');

const classSchema = z.strictObject({ name: z.string().min(1), motion: motionSchema });
/**
 * A motion-set class. `tint` (degrees in the plane of colours with equal BT.601 luminance):
 * the class's objects get this hue at a random luminance, so the class shows in any single frame
 * but not in the gray frames optical flow is computed from (tint 0 and 180 differ only in
 * colour). `active` ([from, to], fractions of the video): when the motion runs; the objects hold
 * still before and after (temporal order: "moves then stops" [0, 0.5] vs "stops then moves"
 * [0.5, 1]).
 */
const motionClassSchema = classSchema.extend({
  tint: z.number().optional(),
  active: range
    .refine(([from, to]) => from >= 0 && to <= 1, 'expected fractions in [0, 1]')
    .optional(),
});
const uniqueNames = (classes: { name: string }[]) =>
  new Set(classes.map((c) => c.name)).size === classes.length;

export const motionDatasetSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('motion'),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, . _ -'),
  description: z.string().optional(),
  seed: z.number().int().default(1),
  video: videoSchema,
  scene: sceneSchema.prefault({}),
  videosPerClass: z.number().int().min(1).max(SPEC_BOUNDS.videos),
  splits: splitsSchema,
  classes: z
    .array(motionClassSchema)
    .min(2)
    .max(SPEC_BOUNDS.classes)
    .refine(uniqueNames, 'expected unique class names'),
});

export const charadesDatasetSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('charades'),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, . _ -'),
  description: z.string().optional(),
  seed: z.number().int().default(1),
  video: videoSchema,
  scene: sceneSchema.prefault({}),
  videos: z.number().int().min(1).max(SPEC_BOUNDS.videos),
  splits: splitsSchema,
  actionsPerVideo: intRange.refine(([min]) => min >= 1, 'expected at least one action per video'),
  /** Action length as a fraction of the video. */
  actionDuration: range.refine(([min, max]) => min > 0 && max <= 1, 'expected fractions in (0, 1]'),
  classes: z
    .array(
      classSchema.extend({
        code: z
          .string()
          .regex(/^c\d{3,}$/, 'expected cNNN')
          .optional(),
      }),
    )
    .min(2)
    .max(SPEC_BOUNDS.classes)
    .refine(uniqueNames, 'expected unique class names'),
});

export const syntheticSpecSchema = z.discriminatedUnion('kind', [
  motionDatasetSchema,
  charadesDatasetSchema,
]);
export type MotionDatasetSpec = z.infer<typeof motionDatasetSchema>;
export type CharadesDatasetSpec = z.infer<typeof charadesDatasetSchema>;
export type SyntheticSpec = z.infer<typeof syntheticSpecSchema>;
export type SceneSpec = MotionDatasetSpec['scene'];
export type VideoSpec = MotionDatasetSpec['video'];

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const key of path)
    out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(root)';
}

/** Validates a parsed spec; errors list every problem as "path: message". */
export function parseSyntheticSpec(value: unknown, where = 'spec'): SyntheticSpec {
  const result = syntheticSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${formatPath(issue.path)}: ${issue.message}`,
  );
  throw new InputError(`synthetic spec: ${problems.join('; ')}`, where);
}

/** Reads and validates a spec JSON file. */
export function loadSyntheticSpec(file: string): SyntheticSpec {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(
      `synthetic spec: expected a JSON file, got ${(error as Error).message}`,
      file,
    );
  }
  return parseSyntheticSpec(value, file);
}
