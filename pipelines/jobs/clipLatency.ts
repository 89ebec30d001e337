/**
 * End-to-end latency of one clip at batch 1, as a deployed model pays it:
 *
 *   video file -> pool worker: probe, decode (+ optical flow for two-stream models), no cache
 *   -> float inputs [frames, H, W, C] per stream -> forward pass -> logits on the CPU
 *
 * Medians over timed runs after warm-up runs; the worker's own decode and flow timings split
 * the clip part. `bench/latency.ts` and the distillation experiments use it.
 */
import {
  InputError,
  clipsToInputs,
  tf,
  type ClipPool,
  type ClipTemplate,
} from '../../src/index.ts';

export interface ClipLatencyInput {
  /** A pool of the caller's (1 worker for a batch-1 latency). */
  pool: ClipPool;
  video: string;
  /** The model's clip request (streams, frames, size, flow); its cache is ignored. */
  template: ClipTemplate;
  /** One forward pass: inputs [frames, H, W, C] per stream -> logits [1, classes]. */
  forward: (inputs: Record<string, tf.Tensor4D>) => tf.Tensor2D;
  /** Untimed runs first (default 2). */
  warmup?: number;
  /** Timed runs (default 10). */
  runs?: number;
}

export interface ClipLatency {
  /** Median wall time of the whole path, ms. */
  totalMs: number;
  /** Median wall time of the clip request (decode + flow in the worker + transfer). */
  clipMs: number;
  /** Median decode time inside the worker. */
  decodeMs: number;
  /** Median optical-flow time inside the worker (0 for RGB-only models). */
  flowMs: number;
  /** Median model time (inputs to logits). */
  modelMs: number;
  runs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function measureClipLatency(input: ClipLatencyInput): Promise<ClipLatency> {
  const warmup = input.warmup ?? 2;
  const runs = input.runs ?? 10;
  if (!Number.isInteger(runs) || runs < 1)
    throw new InputError(`clip latency: expected runs >= 1, got ${runs}`);
  const { cache: _cache, ...template } = input.template;
  const once = async () => {
    const start = performance.now();
    const clip = await input.pool.run({
      ...template,
      video: input.video,
      placement: { kind: 'test', index: 0, count: 1 },
      output: 'arrays',
    });
    const clipDone = performance.now();
    const inputs = clipsToInputs([clip]);
    try {
      const logits = input.forward(inputs);
      await logits.data();
      logits.dispose();
    } finally {
      tf.dispose(Object.values(inputs));
    }
    const end = performance.now();
    return {
      total: end - start,
      clip: clipDone - start,
      model: end - clipDone,
      decode: clip.timing.decodeMs,
      flow: clip.timing.flowMs,
    };
  };
  for (let i = 0; i < warmup; i++) await once();
  const timed = [];
  for (let i = 0; i < runs; i++) timed.push(await once());
  return {
    totalMs: median(timed.map((t) => t.total)),
    clipMs: median(timed.map((t) => t.clip)),
    decodeMs: median(timed.map((t) => t.decode)),
    flowMs: median(timed.map((t) => t.flow)),
    modelMs: median(timed.map((t) => t.model)),
    runs,
  };
}
