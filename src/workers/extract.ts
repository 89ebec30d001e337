/**
 * extractDataset: fills the clip cache for every video of a dataset, in the worker pool, so
 * that training and evaluation read decoded frames and flow from disk instead of recomputing.
 *
 * Which clips (the documented set; trainers reuse `extractionPlacements` to hit the cache):
 * - test clips: `clips` evenly spaced clips over the whole video (1 = the centred clip), the
 *   multi-view testing positions;
 * - training clips: `trainClips` clips at seeded positions, seed k = 0..K-1; when the video has
 *   timed segments (Charades), clip k lies inside segment k mod S.
 *
 * One bad video never stops the others: its clips fail, it is reported with the reason, and
 * its remaining clips are skipped.
 */
import { availableParallelism } from 'node:os';
import { DiskCache, defaultCacheDir, type FileIdentityMode } from '../cache/diskCache.ts';
import { InputError, describeError } from '../errors.ts';
import { ClipPool } from './clipPool.ts';
import type { FlowMethod } from '../flow/index.ts';
import { DEFAULT_FLOW_BOUND } from '../flow/normalize.ts';
import type { ClipPlacement, ClipRequest, ClipStreamRequest } from './clipSpec.ts';

/** The part of a dataset manifest extraction reads (datasets' `Manifest` fits it). */
export interface ExtractVideo {
  id: string;
  path: string;
  segments?: { start: number; end: number }[];
}

export interface ExtractDatasetInput {
  items: readonly ExtractVideo[];
}

export interface ExtractOptions {
  /** Default `defaultCacheDir()`. */
  cacheDir?: string;
  /** Worker threads; default `os.availableParallelism()`. Ignored when `pool` is given. */
  workers?: number;
  /** A pool to reuse (left open); default: one made and closed here. */
  pool?: ClipPool;
  /** Flow method, or 'none' to keep only RGB streams. Default 'tvl1'. */
  flow?: FlowMethod | 'none';
  flowParams?: Record<string, number | string>;
  /** Flow quantisation bound, pixels. Default 20. */
  flowBound?: number;
  /** Test clips per video. Default 1. */
  clips?: number;
  /** Seeded training clips per video. Default 2. */
  trainClips?: number;
  /** Frames per stream (T). Default 8. */
  frames?: number;
  /** Output side: short side resized to `size`, then a centred size x size crop. Default 112. */
  size?: number;
  /** Frame-index grid rate. Default 'native'. */
  fps?: number | 'native';
  /** Streams per clip; default rgb (stride 1) and flow (stride 1), each `frames` long. */
  streams?: ClipStreamRequest[];
  identity?: FileIdentityMode;
  signal?: AbortSignal;
  /** Called after each clip finishes (or is skipped). */
  onProgress?: (event: ExtractProgress) => void;
}

export interface ExtractProgress {
  done: number;
  total: number;
  video: ExtractVideo;
  outcome: 'computed' | 'cached' | 'failed' | 'skipped';
}

export interface ExtractVideoReport {
  id: string;
  path: string;
  /** ok: something was computed; cached: every clip was a cache hit; failed: see `error`. */
  status: 'ok' | 'cached' | 'failed';
  clips: number;
  cachedClips: number;
  /** Entries that were corrupt or truncated and got recomputed. */
  recomputed: string[];
  error?: string;
}

export interface ExtractSummary {
  total: number;
  ok: number;
  cached: number;
  failed: number;
  clipsPerVideo: number;
  cacheDir: string;
  elapsedMs: number;
  videos: ExtractVideoReport[];
  failures: { id: string; path: string; reason: string }[];
}

/** The default streams: RGB and flow, both at stride 1. */
export function defaultStreams(frames: number, flow: boolean): ClipStreamRequest[] {
  const streams: ClipStreamRequest[] = [{ name: 'rgb', kind: 'rgb', frames, stride: 1 }];
  if (flow) streams.push({ name: 'flow', kind: 'flow', frames, stride: 1 });
  return streams;
}

/** The clip placements extraction caches for one video (see the module comment). */
export function extractionPlacements(
  video: ExtractVideo,
  testClips: number,
  trainClips: number,
): ClipPlacement[] {
  const placements: ClipPlacement[] = [];
  for (let index = 0; index < testClips; index++)
    placements.push({ kind: 'test', index, count: testClips });
  const segments = video.segments ?? [];
  for (let seed = 0; seed < trainClips; seed++) {
    const segment = segments.length ? segments[seed % segments.length] : undefined;
    placements.push(
      segment
        ? { kind: 'train', seed, segment: { start: segment.start, end: segment.end } }
        : { kind: 'train', seed },
    );
  }
  return placements;
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InputError(`extract: expected ${name} to be an integer >= ${min}, got ${value}`);
  }
  return value;
}

export async function extractDataset(
  dataset: ExtractDatasetInput,
  options: ExtractOptions = {},
): Promise<ExtractSummary> {
  const started = Date.now();
  const flowMethod = options.flow ?? 'tvl1';
  const testClips = checkCount('clips', options.clips ?? 1, 0);
  const trainClips = checkCount('trainClips', options.trainClips ?? 2, 0);
  if (testClips + trainClips === 0)
    throw new InputError(
      'extract: expected at least one clip per video, got clips 0 and trainClips 0',
    );
  const frames = checkCount('frames', options.frames ?? 8, 1);
  const size = checkCount('size', options.size ?? 112, 2);
  const streams = options.streams ?? defaultStreams(frames, flowMethod !== 'none');
  if (flowMethod === 'none' && streams.some((s) => s.kind === 'flow')) {
    throw new InputError('extract: expected a flow method for the flow streams, got --flow none');
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  new DiskCache(cacheDir).sweepTemporaries();
  const base = {
    streams,
    fps: options.fps ?? 'native',
    geometry: { shortSide: size, crop: size, cropMode: 'center' as const },
    flow:
      flowMethod === 'none'
        ? undefined
        : {
            method: flowMethod,
            params: options.flowParams,
            bound: options.flowBound ?? DEFAULT_FLOW_BOUND,
          },
    cache: { dir: cacheDir, identity: options.identity },
    output: 'none' as const,
  };

  const reports = dataset.items.map(
    (video): ExtractVideoReport => ({
      id: video.id,
      path: video.path,
      status: 'cached',
      clips: 0,
      cachedClips: 0,
      recomputed: [],
    }),
  );
  const jobs = dataset.items.flatMap((video, v) =>
    extractionPlacements(video, testClips, trainClips).map((placement) => ({
      video,
      v,
      placement,
    })),
  );
  const pool = options.pool ?? new ClipPool({ workers: options.workers });
  let done = 0;
  let next = 0;
  const runNext = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const report = reports[job.v]!;
      let outcome: ExtractProgress['outcome'];
      if (report.status === 'failed') {
        outcome = 'skipped';
      } else {
        const request: ClipRequest = { ...base, video: job.video.path, placement: job.placement };
        try {
          const result = await pool.run(request, { signal: options.signal });
          report.clips++;
          if (result.cached) report.cachedClips++;
          else report.status = 'ok';
          if (result.recomputed) report.recomputed.push(...result.recomputed);
          outcome = result.cached ? 'cached' : 'computed';
        } catch (error) {
          if (options.signal?.aborted) throw error;
          report.status = 'failed';
          report.error = describeError(error);
          outcome = 'failed';
        }
      }
      done++;
      options.onProgress?.({ done, total: jobs.length, video: job.video, outcome });
    }
  };
  try {
    // a few tasks in flight per worker keeps every worker busy without queueing the whole dataset
    const lanes = Math.max(1, Math.min(jobs.length, pool.size * 2 || availableParallelism()));
    await Promise.all(Array.from({ length: lanes }, runNext));
  } finally {
    if (!options.pool) await pool.destroy();
  }
  const count = (status: ExtractVideoReport['status']) =>
    reports.filter((r) => r.status === status).length;
  return {
    total: reports.length,
    ok: count('ok'),
    cached: count('cached'),
    failed: count('failed'),
    clipsPerVideo: testClips + trainClips,
    cacheDir,
    elapsedMs: Date.now() - started,
    videos: reports,
    failures: reports
      .filter((r) => r.status === 'failed')
      .map((r) => ({ id: r.id, path: r.path, reason: r.error ?? 'unknown' })),
  };
}
