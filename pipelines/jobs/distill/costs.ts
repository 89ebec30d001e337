/**
 * Measured costs of a student or the teacher, as the job's own worker pool pays them:
 *
 *   flow: the pool worker's own optical-flow time for one clip at the model's frames and size,
 *         requested without the clip cache (median of `runs` clips of a real training video).
 *         The worker pool is where the job computes flow, so that is where its cost is read
 *         (a probe in the job's main thread, beside the engine, read 3-5x higher).
 *   model: the median batch-1 forward time on the job's engine (`measureStudentLatency`,
 *          cached per architecture in out/latency.json), on the CPU clock: what the pass costs
 *          on an idle core. On the shared 2-core machine the wall time of the same pass read
 *          3-20x higher than on the idle one and changed from run to run, which made the
 *          latency term (and the target check) a measure of the other jobs' load.
 */
import {
  clipTemplate,
  measureStudentLatency,
  studentStreams,
  type ClipItem,
  type ClipPool,
  type StudentArch,
} from '../../../src/index.ts';
import type { RunConfig } from '../../../src/networks/runConfig.ts';

/** The clock of every model latency of the job (students and teacher). */
export const LATENCY_CLOCK = 'cpu' as const;

export interface StudentLatency {
  /** Model + measured flow (two-stream students), ms per clip at batch 1. */
  latencyMs: number;
  modelLatencyMs: number;
  flowMs: number;
}

export interface CostProbe {
  /** Flow ms of one clip of `frames` frames at `size` px (measured once per shape). */
  flowCost(frames: number, size: number): Promise<number>;
  studentLatency(arch: StudentArch): Promise<StudentLatency>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export function createCostProbe(input: {
  pool: ClipPool;
  /** A training video to time flow on. */
  video: ClipItem;
  config: RunConfig;
  numClasses: number;
  latencyFile: string;
  /** Timed runs of the model probe (default 10). */
  latencyRuns?: number;
  /** Clips timed for the flow cost (default 3, after one untimed). */
  flowRuns?: number;
}): CostProbe {
  const { pool, config } = input;
  const flowCosts = new Map<string, number>();
  const flowCost = async (frames: number, size: number): Promise<number> => {
    const key = `${frames}x${size}`;
    const known = flowCosts.get(key);
    if (known !== undefined) return known;
    const { cache: _uncached, ...template } = clipTemplate({
      streams: ['flow'],
      frames,
      size,
      fps: config.fps,
      flow: config.flow,
      flowBound: config.flowBound,
      cacheDir: '',
    });
    const once = async () =>
      (
        await pool.run({
          ...template,
          video: input.video.video,
          placement: { kind: 'test', index: 0, count: 1 },
          output: 'arrays',
        })
      ).timing.flowMs;
    await once(); // warm-up: the worker loads its flow code
    const runs: number[] = [];
    for (let i = 0; i < (input.flowRuns ?? 3); i++) runs.push(await once());
    const ms = median(runs);
    flowCosts.set(key, ms);
    return ms;
  };
  const studentLatency = async (arch: StudentArch): Promise<StudentLatency> => {
    const flowMs = studentStreams(arch).includes('flow')
      ? await flowCost(arch.frames, arch.resolution)
      : 0;
    const measured = await measureStudentLatency(arch, {
      numClasses: input.numClasses,
      cacheFile: input.latencyFile,
      extraMsPerClip: flowMs,
      clock: LATENCY_CLOCK,
      ...(input.latencyRuns ? { runs: input.latencyRuns } : {}),
    });
    return { latencyMs: measured.medianMs, modelLatencyMs: measured.medianMs - flowMs, flowMs };
  };
  return { flowCost, studentLatency };
}
