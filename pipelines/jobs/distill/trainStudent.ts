/**
 * Student training from the cached teacher outputs: the student reads clips at its own frames
 * and resolution (the teacher's fps and flow settings), at the placements the teacher's outputs
 * were cached for; the loss is the objective's (hard labels, logit KD, + feature regression).
 */
import {
  InputError,
  SgdMomentum,
  countStudentParameters,
  cosineSchedule,
  createStudent,
  extractionPlacements,
  labelsTensor,
  objectiveLoss,
  packKdTargets,
  planBatchForHeap,
  profileTrainingStep,
  shuffledBatches,
  studentInputShapes,
  studentStreams,
  studentToJSON,
  tf,
  train,
  withFeatureRegressor,
  clipTemplate,
  type BatchPlan,
  type ClipItem,
  type ClipPool,
  type ClipTemplate,
  type KdTargetSpec,
  type StudentArch,
  type StudentNetwork,
  type StudentObjective,
} from '../../../src/index.ts';
import type { ManifestItem } from '../../../datasets/index.ts';
import type { RunConfig } from '../../../src/networks/runConfig.ts';
import type { StoredRunOptions } from '../../../src/networks/checkpointNetwork.ts';
import { prepareClips } from '../train.ts';
import { clipKey, loadClips, type PlannedClip, type TeacherOutputs } from './teacherOutputs.ts';

/** Training settings a distillation may change over the teacher's (its clip shape stays). */
export type StudentTrainSettings = Partial<
  Pick<
    RunConfig,
    | 'epochs'
    | 'batch'
    | 'lr'
    | 'warmupEpochs'
    | 'momentum'
    | 'nesterov'
    | 'weightDecay'
    | 'bnMomentum'
    | 'seed'
  >
>;

export interface TrainStudentOptions {
  /** Saves the student as a checkpoint there (at each epoch end, the last one kept). */
  checkpointDir?: string;
  seed?: number;
  /** Over the session's objective (e.g. logits 'hard' for no KD). */
  objective?: Partial<StudentObjective>;
  /** Lowers the batch to what the wasm heap holds (measured first) instead of failing. */
  fitBatchToHeap?: boolean;
}

export interface TrainedStudent {
  network: StudentNetwork;
  template: ClipTemplate;
  runConfig: RunConfig;
  /** Optimizer steps taken. */
  steps: number;
  /** The batch it trained with (lower than asked when the heap estimate said so). */
  batch: number;
  /** Why the batch was lowered. */
  batchMessage?: string;
  objective: StudentObjective;
}

export type TrainStudent = (
  arch: StudentArch,
  epochs: number,
  options?: TrainStudentOptions,
) => Promise<TrainedStudent>;

/** The clip request of a student: its streams, frames and resolution, the teacher's fps and flow. */
export function studentTemplate(
  arch: StudentArch,
  config: RunConfig,
  cacheDir: string,
): ClipTemplate {
  return clipTemplate({
    streams: studentStreams(arch),
    frames: arch.frames,
    size: arch.resolution,
    fps: config.fps,
    flow: config.flow,
    flowBound: config.flowBound,
    cacheDir,
  });
}

export function createStudentTrainer(context: {
  config: RunConfig;
  objective: StudentObjective;
  labels: { numClasses: number; multiLabel: boolean };
  classes: string[];
  trainItems: ClipItem[];
  /** Every row the student is trained or scored on (their clips are extracted first). */
  rows: ManifestItem[];
  teacher: TeacherOutputs;
  pool: ClipPool;
  cacheDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
}): TrainStudent {
  const { config, labels, trainItems, teacher, pool } = context;
  return async (arch, epochs, options = {}) => {
    const seed = options.seed ?? config.seed;
    const objective: StudentObjective = { ...context.objective, ...options.objective };
    const features = objective.featureWeight > 0;
    if (features && !teacher.features)
      throw new InputError(
        'distill: feature distillation needs the teacher features (open the session with features)',
      );
    const spec: KdTargetSpec = {
      ...labels,
      ...(features ? { featureWidth: teacher.features!.numClasses } : {}),
    };
    const template = studentTemplate(arch, config, context.cacheDir);
    const failures = await prepareClips(
      context.rows,
      template,
      { ...config, frames: arch.frames, size: arch.resolution },
      pool,
      context.signal,
    );
    if (failures.size > 0)
      throw new InputError(
        `distill: expected the teacher's videos to decode for student ${arch.name}, got failures: ${[...failures.keys()].join(', ')}`,
      );
    const networkOptions = {
      numClasses: labels.numClasses,
      multiLabel: labels.multiLabel,
      seed,
      norm: { momentum: config.bnMomentum },
    };
    // The working set of one step, measured on a probe network before the real one exists.
    let batch = config.batch;
    let batchMessage: string | undefined;
    {
      const probe = createStudent(arch, { ...networkOptions, scope: `probe-${arch.name}` });
      let plan: BatchPlan;
      try {
        const step = await profileTrainingStep(
          (x, training) => probe.apply(x, training),
          probe.trainableVariables,
          studentInputShapes(arch),
        );
        plan = planBatchForHeap(step, config.batch, { label: `student ${arch.name}` });
      } finally {
        probe.dispose();
      }
      if (plan.message) {
        if (plan.batch === 0 || !options.fitBatchToHeap)
          throw new InputError(`distill: ${plan.message}`);
        batch = plan.batch;
        batchMessage = plan.message;
        context.log(`distill: ${plan.message}: training at batch ${batch}`);
      }
    }
    const runConfig: RunConfig = {
      ...config,
      frames: arch.frames,
      size: arch.resolution,
      epochs,
      seed,
      batch,
    };
    const network = createStudent(arch, networkOptions);
    const model = features
      ? withFeatureRegressor(network, spec.featureWidth!, { seed, name: `${arch.name}/regressor` })
      : undefined;
    const { loss, metric } = objectiveLoss(objective, spec);
    const stepsPerEpoch = Math.floor(trainItems.length / batch);
    const totalSteps = stepsPerEpoch * epochs;
    const stored: StoredRunOptions & { kind: 'student'; arch: StudentArch } = {
      kind: 'student',
      arch: studentToJSON(arch),
      network: {
        numClasses: labels.numClasses,
        frames: arch.frames,
        multiLabel: labels.multiLabel,
        norm: { momentum: config.bnMomentum },
        seed,
      },
      config: runConfig,
      streams: studentStreams(arch),
    };
    const optimizer = new SgdMomentum({
      learningRate: config.lr,
      momentum: config.momentum,
      nesterov: config.nesterov,
      weightDecay: config.weightDecay,
    });
    const featureScale = teacher.featureScale;
    let steps: number;
    try {
      const trained = await train({
        model: model ?? network,
        batches: shuffledBatches({
          count: trainItems.length,
          batchSize: batch,
          load: async (indices, rng) => {
            const planned = indices.map((index): PlannedClip => {
              const item = trainItems[index]!;
              const placements = extractionPlacements(
                {
                  id: item.id,
                  path: item.video,
                  ...(item.segments ? { segments: item.segments } : {}),
                },
                0,
                config.trainClips,
              );
              const placement = placements[rng.randInt(config.trainClips)]!;
              return { item, placement, key: clipKey(placement) };
            });
            const inputs = await loadClips(pool, template, planned, context.signal);
            const refs = planned.map((clip) => ({ video: clip.item.id, clip: clip.key }));
            const packed = tf.tidy(() => {
              const hard = labelsTensor(
                planned.map((clip) => clip.item),
                labels,
              );
              const logits = teacher.logits.batch(refs);
              const targetFeatures = features
                ? (tf.div(teacher.features!.batch(refs), featureScale) as tf.Tensor2D)
                : undefined;
              return packKdTargets(hard, logits, spec, targetFeatures);
            });
            return { inputs, labels: packed };
          },
          concurrency: 2,
          prefetchDepth: 2,
        }),
        optimizer,
        schedule: cosineSchedule({
          baseLr: config.lr,
          totalSteps,
          warmupSteps: Math.min(totalSteps - 1, Math.round(config.warmupEpochs * stepsPerEpoch)),
        }),
        loss,
        metric,
        steps: totalSteps,
        seed,
        ...(options.checkpointDir
          ? {
              checkpoint: {
                dir: options.checkpointDir,
                atEpochEnd: true,
                keep: 1,
                meta: { options: stored, classes: context.classes },
              },
            }
          : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      });
      steps = trained.progress.step;
    } catch (error) {
      network.dispose();
      throw error;
    } finally {
      optimizer.dispose();
      model?.dispose();
    }
    return {
      network,
      template,
      runConfig,
      steps,
      batch,
      ...(batchMessage ? { batchMessage } : {}),
      objective,
    };
  };
}

/** Parameters of a student (for rows and logs). */
export const studentParameters = (arch: StudentArch, numClasses: number): number =>
  countStudentParameters(arch, numClasses).total;
