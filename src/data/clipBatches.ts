/**
 * Clips -> tensor batches for training and evaluation. Clips are decoded (and their flow
 * computed) by the worker pool, read ahead while the model computes, and turned into the
 * network's inputs: one 4-D tensor per stream, time folded into batch.
 *
 *   items --(rng: clip variants)--> ClipRequest --pool--> ClipResult[] --> ClipBatch
 *   ClipBatch.inputs[stream]  [batch*frames, H, W, C]   rgb in [-1, 1], flow in [-1, 1] (q/127.5 - 1)
 *   ClipBatch.labels          [batch] int32 (single-label) | [batch, classes] float32 (multi-label)
 */
import { tf, type Tensor, type Tensor4D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { mapConcurrent } from '../train/prefetch.ts';
import { disposeBatch } from '../train/batches.ts';

export { disposeBatch };
import type { Rng } from '../util/random.ts';
import { drawShifts, shiftedSourceIndex, type ClipShift } from './augment.ts';
import type { ClipPool } from '../workers/clipPool.ts';
import { defaultStreams, extractionPlacements } from '../workers/extract.ts';
import { DEFAULT_FLOW_BOUND } from '../flow/normalize.ts';
import type { FlowMethod } from '../flow/index.ts';
import type { ClipPlacement, ClipRequest, ClipResult } from '../workers/clipSpec.ts';

export interface ClipItem {
  id: string;
  video: string;
  /** Class indices. */
  labels: number[];
  /** Timed segments (Charades-style actions), seconds: training clip k lies in segment k mod S. */
  segments?: { start: number; end: number }[];
}

/** Everything of a ClipRequest but the video and the clip's placement. */
export type ClipTemplate = Omit<ClipRequest, 'video' | 'placement'>;

export interface ClipBatch {
  inputs: Record<string, Tensor4D>;
  labels: Tensor;
  /** Item of each row of the batch. */
  items: ClipItem[];
  /** Test placement of each row (clip index of the video), for multi-view averaging. */
  views: number[];
}

export interface LabelSpec {
  numClasses: number;
  multiLabel: boolean;
}

/**
 * Uint8 clip streams -> float inputs `[batch*frames, H, W, C]` in [-1, 1], one per stream;
 * `shifts` (one per clip, training only) translates each clip as `augment.ts` describes.
 */
export function clipsToInputs(clips: ClipResult[], shifts?: ClipShift[]): Record<string, Tensor4D> {
  const inputs: Record<string, Tensor4D> = {};
  const first = clips[0];
  if (!first) throw new InputError('clip batches: expected at least one clip, got none');
  for (const stream of first.streams) {
    const [frames, height, width, channels] = stream.shape;
    const bytes = frames * height * width * channels;
    const values = new Float32Array(bytes * clips.length);
    clips.forEach((clip, row) => {
      const match = clip.streams.find((s) => s.name === stream.name);
      if (!match?.data || match.data.length !== bytes) {
        throw new InputError(
          `clip batches: expected stream ${stream.name} of [${stream.shape.join(',')}] for ${clip.video}`,
        );
      }
      const offset = row * bytes;
      const data = match.data;
      const shift = shifts?.[row];
      if (shift && (shift.dx !== 0 || shift.dy !== 0)) {
        const source = shiftedSourceIndex([frames, height, width, channels], shift);
        for (let i = 0; i < bytes; i++) values[offset + i] = data[source[i]!]! / 127.5 - 1;
      } else {
        for (let i = 0; i < bytes; i++) values[offset + i] = data[i]! / 127.5 - 1;
      }
    });
    inputs[stream.name] = tf.tensor4d(values, [clips.length * frames, height, width, channels]);
  }
  return inputs;
}

/** Labels of a batch: int32 [batch] or multi-hot float32 [batch, classes]. */
export function labelsTensor(items: ClipItem[], spec: LabelSpec): Tensor {
  if (spec.multiLabel) {
    const hot = new Float32Array(items.length * spec.numClasses);
    items.forEach((item, row) =>
      item.labels.forEach((label) => (hot[row * spec.numClasses + label] = 1)),
    );
    return tf.tensor2d(hot, [items.length, spec.numClasses]);
  }
  return tf.tensor1d(
    items.map((item) => {
      if (item.labels.length !== 1) {
        throw new InputError(
          `clip batches: expected one label for ${item.id} on a single-label set, got ${item.labels.length}`,
        );
      }
      return item.labels[0]!;
    }),
    'int32',
  );
}

interface PlannedClip {
  item: ClipItem;
  placement: ClipPlacement;
  view: number;
}

function chunk<T>(values: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}

async function loadBatch(
  pool: ClipPool,
  template: ClipTemplate,
  planned: PlannedClip[],
  labels: LabelSpec,
  signal?: AbortSignal,
  shifts?: ClipShift[],
): Promise<ClipBatch> {
  const clips = await Promise.all(
    planned.map((clip) =>
      pool.run(
        { ...template, video: clip.item.video, placement: clip.placement, output: 'arrays' },
        signal ? { signal } : {},
      ),
    ),
  );
  return {
    inputs: clipsToInputs(clips, shifts),
    labels: labelsTensor(
      planned.map((clip) => clip.item),
      labels,
    ),
    items: planned.map((clip) => clip.item),
    views: planned.map((clip) => clip.view),
  };
}

export interface TrainingLoaderOptions {
  pool: ClipPool;
  template: ClipTemplate;
  items: ClipItem[];
  labels: LabelSpec;
  /** Training clips per video (default 2, as `extract`'s trainClips): bounds what the cache holds. */
  variants?: number;
  /** Largest random translation in pixels (0: none); see augment.ts. */
  maxShift?: number;
  signal?: AbortSignal;
}

/**
 * The `load` of the training loop's `shuffledBatches`: sample indices -> a batch of training
 * clips. The clip variant of each item is drawn from the batch's own rng (seeded by the loop from
 * the epoch and batch number), so a resumed run loads exactly the same clips.
 */
export function trainingClipLoader(
  options: TrainingLoaderOptions,
): (indices: number[], rng: Rng) => Promise<ClipBatch> {
  const variants = options.variants ?? 2;
  return (indices, rng) => {
    const planned = indices.map((index): PlannedClip => {
      const item = options.items[index];
      if (!item)
        throw new InputError(
          `clip batches: expected an item index below ${options.items.length}, got ${index}`,
        );
      // The same placements `extract` caches (seed k, segment k mod S): training hits the cache.
      const placements = extractionPlacements(
        { id: item.id, path: item.video, ...(item.segments ? { segments: item.segments } : {}) },
        0,
        variants,
      );
      return { item, view: 0, placement: placements[rng.randInt(variants)]! };
    });
    // Drawn after the placements, so maxShift 0 leaves the clip sequence of older runs unchanged.
    const shifts = drawShifts(rng, planned.length, options.maxShift ?? 0);
    return loadBatch(
      options.pool,
      options.template,
      planned,
      options.labels,
      options.signal,
      shifts,
    );
  };
}

export interface TestBatchOptions {
  pool: ClipPool;
  template: ClipTemplate;
  items: ClipItem[];
  labels: LabelSpec;
  batchSize: number;
  /** Evenly spaced clips per video (multi-view testing). */
  clips: number;
  readAhead?: number;
  signal?: AbortSignal;
}

/** Every test clip of every item, in order (clip `view` of `clips` per video). */
export function testBatches(options: TestBatchOptions): AsyncGenerator<ClipBatch> {
  const planned = options.items.flatMap((item) =>
    Array.from(
      { length: options.clips },
      (_, view): PlannedClip => ({
        item,
        view,
        placement: { kind: 'test', index: view, count: options.clips },
      }),
    ),
  );
  return mapConcurrent(
    chunk(planned, options.batchSize),
    (batch) => loadBatch(options.pool, options.template, batch, options.labels, options.signal),
    Math.max(1, options.readAhead ?? 2),
    {
      dispose: disposeBatch,
    },
  );
}

export interface ClipTemplateOptions {
  /** Stream kinds the network reads (its stems): 'rgb', 'flow'. */
  streams: ('rgb' | 'flow')[];
  frames: number;
  size: number;
  fps?: number | 'native';
  flow?: FlowMethod;
  flowBound?: number;
  cacheDir: string;
}

/**
 * The clip request template of a run: the same fields `extractDataset` uses for the same
 * settings, so training and evaluation read what `extract` cached.
 */
export function clipTemplate(options: ClipTemplateOptions): ClipTemplate {
  const hasFlow = options.streams.includes('flow');
  const streams = defaultStreams(options.frames, hasFlow).filter((stream) =>
    options.streams.includes(stream.kind),
  );
  return {
    streams,
    fps: options.fps ?? 'native',
    geometry: { shortSide: options.size, crop: options.size, cropMode: 'center' },
    flow: hasFlow
      ? {
          method: options.flow ?? 'tvl1',
          params: undefined,
          bound: options.flowBound ?? DEFAULT_FLOW_BOUND,
        }
      : undefined,
    cache: { dir: options.cacheDir, identity: undefined },
  };
}
