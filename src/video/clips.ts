/**
 * Clip sampling: which frames of a video each input stream of a multi-stream network reads.
 * Pure functions (no ffmpeg). Frame indices live on a grid of `fps` frames per second
 * (index i is time i / fps), the grid `decodeFrameIndices` decodes at the same rate.
 *
 * A clip is a window of `clipSpan(spec)` grid frames. Each stream takes `frames` samples,
 * `stride` grid frames apart (its temporal resolution), placed in the window by `align`:
 *
 *   window  |0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15|   span 16
 *   rgb s=1, T=4, center        6 7 8 9
 *   rgb s=4, T=4         0       4       8       12
 *
 * Flow streams also need the second frame of each pair (index + flowGap): `pairIndices`.
 *
 * Videos (or allowed ranges) shorter than a clip: `short: 'clamp'` (default) repeats the last
 * frame, as most Kinetics/Charades loaders do; `short: 'loop'` wraps around to the start of
 * the video (it plays again). A segment shorter than a clip is not an error: the clip is centred
 * on it and takes the video around it.
 */
import { InputError } from '../errors.ts';
import { createRng } from '../util/random.ts';
import type { Rng } from '../util/random.ts';

export interface ClipStreamSpec {
  /** Name of the stream, e.g. 'rgb', 'rgb_slow', 'flow'. */
  name: string;
  kind: 'rgb' | 'flow';
  /** T: samples per clip. */
  frames: number;
  /** Grid frames between samples (1 = every frame of the grid). */
  stride: number;
  /** Flow only: the second frame of each pair is index + flowGap. Default 1. */
  flowGap?: number;
}

export interface ClipSpec {
  streams: ClipStreamSpec[];
  /** Rate of the index grid, frames per second. */
  fps: number;
  /** Where shorter streams sit inside the clip window. Default 'center'. */
  align?: 'center' | 'start';
  /** What indices past the end of the range become. Default 'clamp'. */
  short?: 'clamp' | 'loop';
}

/** The video, on the grid: `frameCount` frames at `spec.fps` (e.g. duration x fps). */
export interface ClipSource {
  frameCount: number;
}

/**
 * Frames of a probed video on a grid of `fps`: its own frame count at its own rate, else
 * duration x fps (what the fps filter produces).
 */
export function gridFrameCount(
  video: { duration: number; avgFrameRate: number; frameCount: number },
  fps: number,
): number {
  if (Math.abs(fps - video.avgFrameRate) < 1e-6 * fps) return video.frameCount;
  return Math.max(1, Math.round(video.duration * fps));
}

/** A time range (seconds) the clip must cover, e.g. a Charades action. */
export interface TimeSegment {
  start: number;
  end: number;
}

export interface SampledStream {
  name: string;
  kind: 'rgb' | 'flow';
  indices: number[];
  /** Seconds: index / fps. */
  timestamps: number[];
  /** Flow streams: second frame of each pair. */
  pairIndices?: number[];
}

export interface SampledClip {
  /** Grid index where the clip window starts (before clamping/looping). */
  start: number;
  /** Window length in grid frames. */
  span: number;
  streams: SampledStream[];
  /** Sorted distinct indices of all streams (pairs included): what to decode. */
  decodeIndices: number[];
}

/** Window length (grid frames) that holds every stream, flow pairs included. */
export function clipSpan(spec: ClipSpec): number {
  validateSpec(spec);
  return Math.max(...spec.streams.map(streamSpan));
}

function streamSpan(stream: ClipStreamSpec): number {
  const pair = stream.kind === 'flow' ? (stream.flowGap ?? 1) : 0;
  return (stream.frames - 1) * stream.stride + 1 + pair;
}

export interface TrainingClipOptions {
  /** Seed of the clip position; or pass `rng`. Default 0. */
  seed?: number;
  /** A generator to draw from (overrides `seed`), to share one stream across calls. */
  rng?: Rng;
  /** Keep the clip inside this segment (or centred on it when the segment is shorter). */
  segment?: TimeSegment;
}

/** One clip at a uniformly random position (inside the segment, if given). */
export function sampleTrainingClip(
  spec: ClipSpec,
  source: ClipSource,
  options: TrainingClipOptions = {},
): SampledClip {
  const span = clipSpan(spec);
  const range = allowedRange(spec, source, options.segment);
  const rng = options.rng ?? createRng(options.seed ?? 0);
  const latest = range.last - span + 1;
  const start =
    latest > range.first ? rng.randInt(range.first, latest + 1) : placeShort(range, span, source);
  return buildClip(spec, source, start, span);
}

export interface TestClipOptions {
  /** Number of clips, evenly spaced from the first to the last possible start. Default 1 (centred). */
  count?: number;
  segment?: TimeSegment;
}

/** `count` evenly spaced clips (multi-view testing); one clip is centred. */
export function sampleTestClips(
  spec: ClipSpec,
  source: ClipSource,
  options: TestClipOptions = {},
): SampledClip[] {
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new InputError(`clips: expected count a positive integer, got ${count}`);
  const span = clipSpan(spec);
  const range = allowedRange(spec, source, options.segment);
  const latest = range.last - span + 1;
  if (latest <= range.first) {
    const start = placeShort(range, span, source);
    return Array.from({ length: count }, () => buildClip(spec, source, start, span));
  }
  return Array.from({ length: count }, (_, k) => {
    const start =
      count === 1
        ? Math.floor((range.first + latest) / 2)
        : Math.round(range.first + (k * (latest - range.first)) / (count - 1));
    return buildClip(spec, source, start, span);
  });
}

interface GridRange {
  first: number;
  last: number;
  /** True when a segment narrowed the range (a short segment may then borrow video around it). */
  segment: boolean;
}

function allowedRange(
  spec: ClipSpec,
  source: ClipSource,
  segment: TimeSegment | undefined,
): GridRange {
  if (!Number.isInteger(source.frameCount) || source.frameCount < 1) {
    throw new InputError(`clips: expected frameCount a positive integer, got ${source.frameCount}`);
  }
  const lastFrame = source.frameCount - 1;
  if (!segment) return { first: 0, last: lastFrame, segment: false };
  if (!(segment.end >= segment.start)) {
    throw new InputError(
      `clips: expected segment end >= start, got [${segment.start}, ${segment.end}]`,
    );
  }
  const clamp = (i: number) => Math.min(lastFrame, Math.max(0, i));
  let first = clamp(Math.ceil(segment.start * spec.fps - 1e-9));
  let last = clamp(Math.floor(segment.end * spec.fps + 1e-9));
  if (last < first)
    first = last = clamp(Math.round(((segment.start + segment.end) / 2) * spec.fps));
  return { first, last, segment: true };
}

/**
 * Start of a clip longer than the allowed range: centred on a short segment (and moved to fit in
 * the video when the video is long enough), else at the start of the range.
 */
function placeShort(range: GridRange, span: number, source: ClipSource): number {
  if (!range.segment) return range.first;
  const centred = Math.round((range.first + range.last) / 2 - (span - 1) / 2);
  return Math.max(0, Math.min(centred, source.frameCount - span));
}

function buildClip(spec: ClipSpec, source: ClipSource, start: number, span: number): SampledClip {
  const fit = fitIndex(spec.short ?? 'clamp', source.frameCount);
  const streams = spec.streams.map((stream): SampledStream => {
    const offset =
      (spec.align ?? 'center') === 'center' ? Math.floor((span - streamSpan(stream)) / 2) : 0;
    const raw = Array.from({ length: stream.frames }, (_, t) => start + offset + t * stream.stride);
    const indices = raw.map(fit);
    const sampled: SampledStream = {
      name: stream.name,
      kind: stream.kind,
      indices,
      timestamps: indices.map((i) => i / spec.fps),
    };
    if (stream.kind === 'flow')
      sampled.pairIndices = raw.map((i) => fit(i + (stream.flowGap ?? 1)));
    return sampled;
  });
  const all = new Set<number>();
  for (const s of streams) for (const i of [...s.indices, ...(s.pairIndices ?? [])]) all.add(i);
  return { start, span, streams, decodeIndices: [...all].sort((a, b) => a - b) };
}

function fitIndex(mode: 'clamp' | 'loop', frameCount: number): (index: number) => number {
  if (mode === 'loop') return (i) => ((i % frameCount) + frameCount) % frameCount;
  return (i) => Math.min(frameCount - 1, Math.max(0, i));
}

function validateSpec(spec: ClipSpec): void {
  if (!(spec.fps > 0)) throw new InputError(`clips: expected fps > 0, got ${spec.fps}`);
  if (spec.streams.length === 0)
    throw new InputError('clips: expected at least one stream, got none');
  spec.streams.forEach((stream, i) => {
    for (const key of ['frames', 'stride'] as const) {
      const value = stream[key];
      if (!Number.isInteger(value) || value < 1) {
        throw new InputError(
          `clips: expected streams[${i}].${key} a positive integer, got ${value}`,
        );
      }
    }
    if (stream.flowGap !== undefined && (!Number.isInteger(stream.flowGap) || stream.flowGap < 1)) {
      throw new InputError(
        `clips: expected streams[${i}].flowGap a positive integer, got ${stream.flowGap}`,
      );
    }
  });
}
