/**
 * Scores and table rows: a student's multi-view score on a split (top-1, or mAP on
 * multi-label sets), the teacher's from its cached logits, and their table rows.
 */
import {
  countParameters,
  countStudentParameters,
  estimateFlops,
  estimateStudentFlops,
  measureLatency,
  studentHash,
  studentStreams,
  tf,
  type ClipItem,
  type ClipPool,
  type ClipTemplate,
  type LabelSpec,
  type StudentArch,
  type StudentNetwork,
  type TeacherCache,
} from '../../../src/index.ts';
import type { CheckpointNetwork } from '../../../src/networks/checkpointNetwork.ts';
import { predictVideos } from '../predict.ts';
import type { RunConfig } from '../../../src/networks/runConfig.ts';
import { summarizeScores, type EvalSummary } from '../summarize.ts';
import { LATENCY_CLOCK, type StudentLatency } from './costs.ts';
import type { DistillTableRow } from './table.ts';
import { clipKey } from './teacherOutputs.ts';

export type SplitScore = EvalSummary & { split: string };

export type ScoreStudent = (
  network: StudentNetwork,
  template: ClipTemplate,
  items: ClipItem[],
  split: string,
) => Promise<SplitScore>;

export function createScorer(context: {
  pool: ClipPool;
  labels: LabelSpec;
  config: RunConfig;
  signal?: AbortSignal;
}): ScoreStudent {
  const { pool, labels, config } = context;
  return async (network, template, items, split) => {
    const predictions = await predictVideos({
      network,
      pool,
      template,
      items,
      labels,
      clips: config.testClips,
      batchSize: config.batch,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const summary = summarizeScores(
      labels.numClasses,
      labels.multiLabel,
      predictions.map((p) => ({ id: p.item.id, scores: p.scores, labels: p.item.labels })),
    );
    return { ...summary, split };
  };
}

/** Top-1, or mAP on multi-label sets. */
export const accuracyOf = (labels: LabelSpec, summary: Pick<EvalSummary, 'top1' | 'map'>): number =>
  (labels.multiLabel ? summary.map : summary.top1) ?? 0;

export function studentRow(
  labels: LabelSpec,
  split: string,
  arch: StudentArch,
  role: DistillTableRow['role'],
  test: EvalSummary | null,
  latency: StudentLatency | null,
  epochs: number,
): DistillTableRow {
  return {
    name: arch.name,
    role,
    accuracy: test ? accuracyOf(labels, test) : 0,
    metric: labels.multiLabel ? 'map' : 'top1',
    split,
    latencyMs: latency?.latencyMs ?? Number.NaN,
    modelLatencyMs: latency?.modelLatencyMs ?? Number.NaN,
    flowMs: latency?.flowMs ?? Number.NaN,
    parameters: countStudentParameters(arch, labels.numClasses).total,
    flops: estimateStudentFlops(arch, labels.numClasses).flops,
    streams: studentStreams(arch),
    epochs,
    hash: studentHash(arch),
  };
}

/** The teacher's row: test accuracy from its cached logits (mean softmax/sigmoid over views), measured latency. */
export async function teacherTableRow(input: {
  teacher: CheckpointNetwork;
  cache: TeacherCache;
  items: ClipItem[];
  split: string;
  labels: LabelSpec;
  flowMs: number;
  runs?: number;
}): Promise<DistillTableRow> {
  const { teacher, cache, labels } = input;
  const { config } = teacher;
  const views = Array.from({ length: config.testClips }, (_, index) =>
    clipKey({ kind: 'test', index, count: config.testClips }),
  );
  const videos = input.items.map((item) => {
    const probabilities = tf.tidy(() => {
      const logits = cache.batch(views.map((clip) => ({ video: item.id, clip })));
      return tf.mean(labels.multiLabel ? tf.sigmoid(logits) : tf.softmax(logits), 0);
    });
    const scores = Array.from(probabilities.dataSync());
    probabilities.dispose();
    return { id: item.id, scores, labels: item.labels };
  });
  const summary = summarizeScores(labels.numClasses, labels.multiLabel, videos);
  const inputs: Record<string, tf.Tensor4D> = {};
  const channels = { rgb: 3, flow: 2 } as const;
  for (const stream of teacher.streams)
    inputs[stream] = tf.randomUniform(
      [config.frames, config.size, config.size, channels[stream]],
      -1,
      1,
      'float32',
      7,
    ) as tf.Tensor4D;
  let modelMs: number;
  try {
    modelMs = (
      await measureLatency(() => teacher.network.apply(inputs, false), {
        clock: LATENCY_CLOCK,
        ...(input.runs ? { runs: input.runs } : {}),
      })
    ).medianMs;
  } finally {
    tf.dispose(Object.values(inputs));
  }
  const scale = {
    numClasses: labels.numClasses,
    widthMultiplier: config.width,
    modulesPerLevel: config.modules,
    temporalModules: 'even' as const,
  };
  const genome = teacher.genome;
  return {
    name: genome?.name ?? 'teacher',
    role: 'teacher',
    accuracy: accuracyOf(labels, summary),
    metric: labels.multiLabel ? 'map' : 'top1',
    split: input.split,
    latencyMs: modelMs + input.flowMs,
    modelLatencyMs: modelMs,
    flowMs: input.flowMs,
    parameters: genome ? countParameters(genome, scale).total : 0,
    flops: genome
      ? estimateFlops(genome, { ...scale, frames: config.frames, resolution: config.size }).flops
      : 0,
    streams: [...teacher.streams],
  };
}
