import { kineticsClipId } from '../manifests/kinetics.ts';
import { deriveSeed, Prng } from './prng.ts';
import { luminance, tintLuminanceRange, tintedColor } from './tint.ts';
import type { BackgroundParams, ObjectParams, Rgb, SceneParams } from './render.ts';
import type {
  CharadesDatasetSpec,
  MotionDatasetSpec,
  MotionSpec,
  SceneSpec,
  SyntheticSpec,
} from './spec.ts';

export type SplitName = 'train' | 'val' | 'test';

/** One timed action, in frames [startFrame, endFrame] (inclusive). */
export interface PlannedSegment {
  label: number;
  startFrame: number;
  endFrame: number;
}

/** Everything needed to render one video, drawn from the seed before any pixel is made. */
export interface VideoPlan {
  index: number;
  id: string;
  /** Path relative to the output folder. */
  file: string;
  split: SplitName;
  labels: number[];
  segments: PlannedSegment[];
  scene: SceneParams;
}

export interface DatasetPlan {
  spec: SyntheticSpec;
  seed: number;
  classes: string[];
  classCodes?: string[];
  videos: VideoPlan[];
}

const STREAM_MOTION_VIDEO = 1;
const STREAM_SPLIT = 2;
const STREAM_CHARADES_VIDEO = 3;

function randomColor(random: Prng, min = 0, max = 255): Rgb {
  return [random.uniform(min, max), random.uniform(min, max), random.uniform(min, max)];
}

function randomBackground(random: Prng, texture: number): BackgroundParams {
  const gratings = Array.from({ length: 3 }, () => {
    const frequency = random.uniform(0.03, 0.25);
    const theta = random.uniform(0, Math.PI);
    return {
      fx: frequency * Math.cos(theta),
      fy: frequency * Math.sin(theta),
      phase: random.uniform(0, 2 * Math.PI),
      amplitude: randomColor(random, 0, 40 * texture),
    };
  });
  return { base: randomColor(random, 50, 205), gratings, grain: 12 * texture };
}

/** Moves the background's colours toward gray of the same luminance (texture kept). */
function desaturate(background: BackgroundParams, saturation: number): void {
  if (saturation === 1) return;
  const mix = (color: Rgb): Rgb => {
    const lum = luminance(color);
    return color.map((c) => lum + saturation * (c - lum)) as Rgb;
  };
  background.base = mix(background.base);
  for (const grating of background.gratings) grating.amplitude = mix(grating.amplitude);
}

function randomObject(
  random: Prng,
  scene: SceneSpec,
  width: number,
  height: number,
  motion: MotionSpec | null,
  start: number,
  end: number,
): ObjectParams {
  return {
    shape: random.pick(scene.shapes),
    size: random.uniform(scene.objectSize[0], scene.objectSize[1]),
    color: randomColor(random),
    accent: randomColor(random),
    x: random.uniform(0, width),
    y: random.uniform(0, height),
    angle: random.uniform(0, 360),
    phase: random.uniform(0, 2 * Math.PI),
    motion,
    start,
    end,
  };
}

function randomSpeedFactor(random: Prng, scene: SceneSpec): number {
  return random.uniform(1 - scene.speedJitter, 1 + scene.speedJitter);
}

/** Splits `indices` into train/val/test by the fractions, after a seeded shuffle. */
function assignSplits(
  indices: number[],
  splits: Record<SplitName, number>,
  random: Prng,
  into: Map<number, SplitName>,
): void {
  const shuffled = random.shuffle(indices);
  const train = Math.round(shuffled.length * splits.train);
  const val = Math.min(shuffled.length - train, Math.round(shuffled.length * splits.val));
  shuffled.forEach((index, position) =>
    into.set(index, position < train ? 'train' : position < train + val ? 'val' : 'test'),
  );
}

/** Frames [start, end] of an `active` window given as fractions of the video. */
export function activeFrames(
  active: [number, number] | undefined,
  frames: number,
): [number, number] {
  if (!active) return [0, frames - 1];
  const start = Math.max(0, Math.ceil(active[0] * (frames - 1) - 1e-9));
  const end = Math.max(start, Math.floor(active[1] * (frames - 1) + 1e-9));
  return [start, end];
}

/**
 * Luminance of a tinted object: far enough from the background's (45-80 gray levels, so flow
 * sees the object) and inside the range where the tint fits in 0..255.
 */
function contrastingLuminance(random: Prng, background: Rgb, range: [number, number]): number {
  const base = luminance(background);
  const darker = base - range[0] > range[1] - base;
  const offset = random.uniform(45, 80);
  const lum = darker ? base - offset : base + offset;
  return Math.min(range[1], Math.max(range[0], lum));
}

/** Single-label motion set: every object of a video follows its class's motion for the whole clip. */
export function planMotionDataset(spec: MotionDatasetSpec, seed = spec.seed): DatasetPlan {
  const { width, height, frames, fps } = spec.video;
  const classCount = spec.classes.length;
  const total = classCount * spec.videosPerClass;
  const splitOf = new Map<number, SplitName>();
  spec.classes.forEach((_, label) => {
    const members = Array.from({ length: spec.videosPerClass }, (_, k) => k * classCount + label);
    assignSplits(members, spec.splits, new Prng(deriveSeed(seed, STREAM_SPLIT, label)), splitOf);
  });
  const seconds = Math.max(1, Math.ceil(frames / fps));
  const videos: VideoPlan[] = [];
  for (let index = 0; index < total; index++) {
    // interleaved classes: ids say nothing about the label
    const label = index % classCount;
    const random = new Prng(deriveSeed(seed, STREAM_MOTION_VIDEO, index));
    const { motion, tint, active } = spec.classes[label]!;
    const background = randomBackground(random, spec.scene.texture);
    desaturate(background, spec.scene.backgroundSaturation);
    const speedFactor = randomSpeedFactor(random, spec.scene);
    const count = random.int(spec.scene.objects[0], Math.max(1, spec.scene.objects[1]));
    const [start, end] = activeFrames(active, frames);
    const objects = Array.from({ length: Math.max(1, count) }, () =>
      randomObject(random, spec.scene, width, height, motion, start, end),
    );
    // Draws below happen only for the options that need them, so sets without them stay as before.
    if (tint !== undefined) {
      const range = tintLuminanceRange(tint, spec.scene.tintChroma);
      for (const object of objects) {
        const lum = contrastingLuminance(random, background.base, range);
        // the accent half: the same hue, a little lighter or darker (rotation stays visible)
        const accent = Math.min(range[1], Math.max(range[0], lum + random.uniform(-30, 30)));
        object.color = tintedColor(lum, tint, spec.scene.tintChroma);
        object.accent = tintedColor(accent, tint, spec.scene.tintChroma);
      }
    }
    const distractors =
      spec.scene.distractors[1] > 0
        ? random.int(spec.scene.distractors[0], spec.scene.distractors[1])
        : 0;
    for (let d = 0; d < distractors; d++) {
      const object = randomObject(
        random,
        spec.scene,
        width,
        height,
        spec.scene.distractorMotion ?? null,
        0,
        frames - 1,
      );
      if (tint !== undefined) {
        // gray: a distractor never carries a class's hue
        const lum = contrastingLuminance(random, background.base, [20, 235]);
        object.color = tintedColor(lum, 0, 0);
        object.accent = tintedColor(
          Math.min(235, Math.max(20, lum + random.uniform(-30, 30))),
          0,
          0,
        );
      }
      // below the class objects, so they are never hidden
      objects.unshift(object);
    }
    const split = splitOf.get(index) as SplitName;
    const id = kineticsClipId(`mv${String(index).padStart(5, '0')}`, 0, seconds);
    videos.push({
      index,
      id,
      file: `${split}/${id}.mp4`,
      split,
      labels: [label],
      segments: [],
      scene: { background, objects, speedFactor, renderSeed: random.int(0, 0x7fffffff) },
    });
  }
  return { spec, seed, classes: spec.classes.map((c) => c.name), videos };
}

/** Multi-label Charades-style set: each action is one object moving during its interval. */
export function planCharadesDataset(spec: CharadesDatasetSpec, seed = spec.seed): DatasetPlan {
  const { width, height, frames } = spec.video;
  const splitOf = new Map<number, SplitName>();
  assignSplits(
    Array.from({ length: spec.videos }, (_, i) => i),
    spec.splits,
    new Prng(deriveSeed(seed, STREAM_SPLIT)),
    splitOf,
  );
  const classIndices = spec.classes.map((_, i) => i);
  const videos: VideoPlan[] = [];
  for (let index = 0; index < spec.videos; index++) {
    const random = new Prng(deriveSeed(seed, STREAM_CHARADES_VIDEO, index));
    const background = randomBackground(random, spec.scene.texture);
    const speedFactor = randomSpeedFactor(random, spec.scene);
    const actionCount = Math.min(
      random.int(spec.actionsPerVideo[0], spec.actionsPerVideo[1]),
      classIndices.length,
    );
    const actions = random.shuffle(classIndices).slice(0, actionCount);
    const segments: PlannedSegment[] = [];
    const objects: ObjectParams[] = [];
    for (const label of actions) {
      const length = Math.min(
        frames,
        Math.max(
          2,
          Math.round(random.uniform(spec.actionDuration[0], spec.actionDuration[1]) * frames),
        ),
      );
      const startFrame = random.int(0, frames - length);
      const endFrame = startFrame + length - 1;
      segments.push({ label, startFrame, endFrame });
      objects.push(
        randomObject(
          random,
          spec.scene,
          width,
          height,
          spec.classes[label].motion,
          startFrame,
          endFrame,
        ),
      );
    }
    const distractors = random.int(spec.scene.objects[0], spec.scene.objects[1]);
    for (let d = 0; d < distractors; d++)
      objects.push(
        spec.scene.distractorMotion
          ? randomObject(
              random,
              spec.scene,
              width,
              height,
              spec.scene.distractorMotion,
              0,
              frames - 1,
            )
          : randomObject(random, spec.scene, width, height, null, 0, 0),
      );
    // draw order random, so the acting objects are not always below the distractors
    const drawOrder = random.shuffle(objects);
    const split = splitOf.get(index) as SplitName;
    const id = `S${index.toString(36).toUpperCase().padStart(4, '0')}`;
    videos.push({
      index,
      id,
      file: `${id}.mp4`,
      split,
      labels: [...new Set(actions)].sort((a, b) => a - b),
      segments: segments.sort((a, b) => a.startFrame - b.startFrame || a.label - b.label),
      scene: { background, objects: drawOrder, speedFactor, renderSeed: random.int(0, 0x7fffffff) },
    });
  }
  const classCodes = spec.classes.map((c, i) => c.code ?? `c${String(i).padStart(3, '0')}`);
  return { spec, seed, classes: spec.classes.map((c) => c.name), classCodes, videos };
}

export function planDataset(spec: SyntheticSpec, seed?: number): DatasetPlan {
  return spec.kind === 'motion' ? planMotionDataset(spec, seed) : planCharadesDataset(spec, seed);
}
