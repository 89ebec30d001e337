/**
 * Measured latency (MnasNet measures on the target, never estimates from FLOPs): the median
 * batch-1 inference time of one clip on the active backend, after warm-up runs, plus an optional
 * per-clip cost of decoding and flow that the caller measured. Results are cached per
 * (architecture hash, backend, input shape) in a JSON file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import type { NetworkInputs } from '../model/network.ts';
import { STREAM_CHANNELS, studentHash, studentStreams, type StudentArch } from './student.ts';
import { createStudent } from './studentNetwork.ts';

/** '30ms', '0.5s', '30' (milliseconds) -> milliseconds. */
export function parseLatency(text: string | number): number {
  if (typeof text === 'number') {
    if (text > 0 && Number.isFinite(text)) return text;
    throw new InputError(`latency: expected a positive duration, got ${text}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|us)?\s*$/i.exec(text);
  if (!match)
    throw new InputError(`latency: expected a duration like "30ms" or "0.5s", got "${text}"`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 'ms').toLowerCase();
  const ms = unit === 's' ? value * 1000 : unit === 'us' ? value / 1000 : value;
  if (!(ms > 0)) throw new InputError(`latency: expected a positive duration, got "${text}"`);
  return ms;
}

export interface LatencyOptions {
  /** Untimed runs first (default 3). */
  warmup?: number;
  /** Timed runs (default 10). */
  runs?: number;
  /** Measured per-clip decode + flow cost added to the model time (default 0). */
  extraMsPerClip?: number;
  /**
   * 'wall' (default): elapsed time. 'cpu': the process's CPU time over the run (user + system),
   * what the forward pass costs on an idle core; on a machine shared with other jobs the wall
   * time of the same pass was seen 3-20x higher and varying run to run.
   */
  clock?: 'wall' | 'cpu';
}

export interface LatencyResult {
  /** Median of the timed runs plus extraMsPerClip. */
  medianMs: number;
  p90Ms: number;
  /** Model-only times of the timed runs, in run order. */
  runsMs: number[];
  extraMsPerClip: number;
  backend: string;
  clock: 'wall' | 'cpu';
}

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Times `run` (one forward pass that returns logits; awaited to completion each time). */
export async function measureLatency(
  run: () => Tensor2D,
  options: LatencyOptions = {},
): Promise<LatencyResult> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 10;
  const extra = options.extraMsPerClip ?? 0;
  if (!Number.isInteger(runs) || runs < 1)
    throw new InputError(`latency: expected runs >= 1, got ${runs}`);
  if (!(extra >= 0)) throw new InputError(`latency: expected extraMsPerClip >= 0, got ${extra}`);
  const cpu = options.clock === 'cpu';
  const now = (): number => {
    if (!cpu) return performance.now();
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const once = async (): Promise<number> => {
    const start = now();
    const logits = run();
    await logits.data();
    const elapsed = now() - start;
    logits.dispose();
    return elapsed;
  };
  for (let i = 0; i < warmup; i++) await once();
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once());
  const sorted = [...runsMs].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5) + extra,
    p90Ms: quantile(sorted, 0.9) + extra,
    runsMs,
    extraMsPerClip: extra,
    backend: tf.getBackend(),
    clock: cpu ? 'cpu' : 'wall',
  };
}

/** Batch-1 input shapes of an architecture: stream -> [T, H, W, C]. */
export function studentInputShapes(
  arch: StudentArch,
): Record<string, [number, number, number, number]> {
  return Object.fromEntries(
    studentStreams(arch).map((stream) => [
      stream,
      [arch.frames, arch.resolution, arch.resolution, STREAM_CHANNELS[stream]],
    ]),
  );
}

export interface StudentLatencyOptions extends LatencyOptions {
  numClasses: number;
  /** JSON cache file; omitted: always measure. */
  cacheFile?: string;
}

export interface CachedLatency extends LatencyResult {
  key: string;
  arch: string;
  inputShape: string;
  cached: boolean;
}

type LatencyCacheFile = Record<string, Omit<CachedLatency, 'cached'>>;

function readCache(file: string): LatencyCacheFile {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LatencyCacheFile;
  } catch (error) {
    throw new InputError(
      `latency: expected a JSON latency cache in ${file}, got ${(error as Error).message}`,
    );
  }
}

/**
 * Builds the student, measures one clip's inference (batch 1, random inputs) on the active
 * backend and disposes it; served from `cacheFile` when this (arch, backend, shape) was measured.
 * The extra per-clip cost is not cached: it is added to the cached model time each call.
 */
export async function measureStudentLatency(
  arch: StudentArch,
  options: StudentLatencyOptions,
): Promise<CachedLatency> {
  const shapes = studentInputShapes(arch);
  const inputShape = Object.entries(shapes)
    .map(([stream, shape]) => `${stream}:${shape.join('x')}`)
    .join(',');
  const hash = studentHash(arch);
  const backend = tf.getBackend();
  const clock = options.clock === 'cpu' ? '|clock=cpu' : '';
  const key = `${hash}|${backend}|${inputShape}|classes=${options.numClasses}${clock}`;
  const extra = options.extraMsPerClip ?? 0;
  const cache = options.cacheFile ? readCache(options.cacheFile) : {};
  const hit = cache[key];
  if (hit) {
    const sorted = [...hit.runsMs].sort((a, b) => a - b);
    return {
      ...hit,
      medianMs: quantile(sorted, 0.5) + extra,
      p90Ms: quantile(sorted, 0.9) + extra,
      extraMsPerClip: extra,
      cached: true,
    };
  }
  const network = createStudent(arch, { numClasses: options.numClasses, seed: 1 });
  const inputs: NetworkInputs = {};
  for (const [stream, shape] of Object.entries(shapes))
    inputs[stream as keyof NetworkInputs] = tf.randomUniform(
      shape,
      -1,
      1,
      'float32',
      7,
    ) as Tensor4D;
  let result: LatencyResult;
  try {
    result = await measureLatency(() => network.apply(inputs, false), {
      ...options,
      extraMsPerClip: 0,
    });
  } finally {
    for (const tensor of Object.values(inputs)) tensor?.dispose();
    network.dispose();
  }
  const entry = { ...result, key, arch: hash, inputShape };
  if (options.cacheFile) {
    const fresh = readCache(options.cacheFile);
    fresh[key] = entry;
    const temp = `${options.cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(fresh, null, 1) + '\n');
    renameSync(temp, options.cacheFile);
  }
  const sorted = [...result.runsMs].sort((a, b) => a - b);
  return {
    ...entry,
    medianMs: quantile(sorted, 0.5) + extra,
    p90Ms: quantile(sorted, 0.9) + extra,
    extraMsPerClip: extra,
    cached: false,
  };
}
