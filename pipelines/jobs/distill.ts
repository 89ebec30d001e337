/**
 * The distillation job: a trained teacher checkpoint -> a searched, KD-trained, latency-aware
 * student saved as an ordinary checkpoint (`eval` and `classify` load it).
 *
 *   teacher checkpoint -> teacher logits of every train variant and val/test clip, once
 *     (out/teacher-logits/teacher-logits.jsonl; a second run reads them, the teacher is not re-run)
 *   -> searchStudents: evaluate(arch) = short KD training from the cached logits, val score,
 *      measured batch-1 latency (+ measured flow cost for two-stream students) -> MnasNet reward
 *   -> the best-reward student trained longer with KD -> out/student/checkpoints/step-N
 *   -> compound-scaled family (phi -1, 0, 1) as JSON -> out/family/
 *   -> table on the test split (teacher, chosen, Pareto front) -> out/distill.json
 *
 * A KD batch carries its teacher logits in the labels tensor: [B, 1 + C] (class index, then the
 * teacher's C logits) for single-label sets, [B, 2C] (multi-hot, then logits) for multi-label.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  InputError,
  Rng,
  SgdMomentum,
  TeacherCache,
  batchAccuracy,
  classificationLoss,
  clipTemplate,
  clipsToInputs,
  computeFlow,
  cosineSchedule,
  countParameters,
  countStudentParameters,
  createStudent,
  distillationLoss,
  estimateFlops,
  estimateStudentFlops,
  extractionPlacements,
  labelsTensor,
  latestCheckpoint,
  measureLatency,
  measureStudentLatency,
  parseStudentSpace,
  rgbToGray,
  scaleStudent,
  searchStudents,
  shuffledBatches,
  studentHash,
  studentInputShapes,
  studentStreams,
  studentToJSON,
  tf,
  train,
  type ClipItem,
  type ClipPlacement,
  type ClipPool,
  type ClipRef,
  type ClipTemplate,
  type LabelSpec,
  type SearchRecord,
  type StudentArch,
  type StudentNetwork,
  type StudentSpace,
} from '../../src/index.ts';
import type { Manifest, ManifestItem } from '../../datasets/index.ts';
import { loadNetworkFromCheckpoint, type CheckpointNetwork } from './checkpointNetwork.ts';
import { predictVideos } from './predict.ts';
import type { RunConfig } from './runConfig.ts';
import { summarizeScores, type EvalSummary } from './summarize.ts';
import { prepareClips, toClipItem, type StoredRunOptions } from './train.ts';

type Tensor = tf.Tensor;
type Tensor2D = tf.Tensor2D;
type Tensor4D = tf.Tensor4D;

export const DEFAULT_STUDENT_SPACE = resolve(
  import.meta.dirname,
  '../../evolution/students/space.json',
);

export interface DistillJobInput {
  /** Teacher checkpoint (step folder, checkpoints root, or a training run's --out). */
  teacher: string;
  manifest: Manifest;
  out: string;
  cacheDir: string;
  pool: ClipPool;
  /** Students evaluated by the search (default 8). */
  budget?: number;
  /** Target latency T of the reward, ms (default 30). */
  latencyTarget?: number;
  /** Reward exponent w (default -0.07). */
  w?: number;
  /** Search RGB-only students (no flow: they do not pay its cost). */
  rgbOnly?: boolean;
  /** Search space: a parsed space or a JSON file (default evolution/students/space.json). */
  space?: StudentSpace | string;
  /** KD epochs of each searched student (default 1). */
  epochs?: number;
  /** KD epochs of the chosen student (default: the teacher's training epochs). */
  finalEpochs?: number;
  /** Weight of the hard-label loss (default 0.5). */
  alpha?: number;
  /** KD temperature (default 4). */
  temperature?: number;
  seed?: number;
  /** Student training settings over the teacher's (lr, batch, epochs = default --final-epochs, ...). */
  settings?: StudentTrainSettings;
  /** An open session (teacher, cached logits, clips) to reuse; it stays open. */
  session?: DistillSession;
  /** Timed latency runs per student (default 10). */
  latencyRuns?: number;
  progress?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** One row of the comparison table (accuracy: top-1, or mAP on multi-label sets, on `split`). */
export interface DistillTableRow {
  name: string;
  role: 'teacher' | 'chosen' | 'pareto';
  accuracy: number;
  metric: 'top1' | 'map';
  split: string;
  /** Median batch-1 time of one clip including the measured flow cost (when the model reads flow). */
  latencyMs: number;
  /** The same without the flow cost. */
  modelLatencyMs: number;
  flowMs: number;
  parameters: number;
  flops: number;
  streams: string[];
  /** KD epochs the row's student was trained for (search budget or final). */
  epochs?: number;
  hash?: string;
}

export interface DistillJobResult {
  teacherLogits: { file: string; clips: number; computed: number; cached: number };
  target: number;
  records: SearchRecord[];
  pareto: SearchRecord[];
  chosen: {
    arch: StudentArch;
    hash: string;
    checkpoint: string;
    archFile: string;
    latencyMs: number;
    target: number;
    meetsTarget: boolean;
    test: EvalSummary & { split: string };
  };
  family: { phi: number; file: string; parameters: number; flops: number }[];
  table: DistillTableRow[];
  seconds: number;
}

type Split = 'train' | 'eval';

/** The teacher cache key of a clip placement ("train:seed=1", "test:0/2"). */
export function clipKey(placement: ClipPlacement): string {
  return placement.kind === 'train'
    ? `train:seed=${placement.seed}`
    : `test:${placement.index}/${placement.count}`;
}

interface PlannedClip {
  item: ClipItem;
  placement: ClipPlacement;
  key: string;
}

function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function loadSpace(space: StudentSpace | string | undefined, rgbOnly: boolean): StudentSpace {
  const file = typeof space === 'string' ? space : space ? undefined : DEFAULT_STUDENT_SPACE;
  const parsed = file
    ? parseStudentSpace(JSON.parse(readFileSync(file, 'utf8')), file)
    : (space as StudentSpace);
  return rgbOnly ? { ...parsed, streams: 'rgb' } : parsed;
}

async function loadClips(
  pool: ClipPool,
  template: ClipTemplate,
  planned: PlannedClip[],
  signal?: AbortSignal,
): Promise<Record<string, Tensor4D>> {
  const clips = await Promise.all(
    planned.map((clip) =>
      pool.run(
        { ...template, video: clip.item.video, placement: clip.placement, output: 'arrays' },
        signal ? { signal } : {},
      ),
    ),
  );
  return clipsToInputs(clips);
}

/** Hard labels and teacher logits in one float tensor: [B, 1 + C] or [B, 2C] (module comment). */
export function kdLabels(items: ClipItem[], teacherLogits: Tensor2D, spec: LabelSpec): Tensor2D {
  return tf.tidy(() => {
    const hard = labelsTensor(items, spec);
    const hard2d = spec.multiLabel ? hard : tf.reshape(hard, [items.length, 1]);
    return tf.concat([tf.cast(hard2d, 'float32'), teacherLogits], 1) as Tensor2D;
  });
}

/** Splits a KD labels tensor back into hard labels ([B] int32 or [B, C]) and teacher logits [B, C]. */
export function splitKdLabels(
  labels: Tensor,
  spec: LabelSpec,
): { hard: Tensor; teacher: Tensor2D } {
  const [batch, width] = labels.shape as [number, number];
  const hardWidth = spec.multiLabel ? spec.numClasses : 1;
  if (labels.rank !== 2 || width !== hardWidth + spec.numClasses) {
    throw new InputError(
      `distill: expected KD labels [B, ${hardWidth + spec.numClasses}], got [${labels.shape}]`,
    );
  }
  const hardPart = tf.slice(labels, [0, 0], [batch, hardWidth]);
  const hard = spec.multiLabel ? hardPart : tf.cast(tf.reshape(hardPart, [batch]), 'int32');
  return { hard, teacher: tf.slice(labels, [0, hardWidth], [batch, spec.numClasses]) as Tensor2D };
}

function studentTemplate(arch: StudentArch, config: RunConfig, cacheDir: string): ClipTemplate {
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

/** The run settings a student is trained and tested with (the teacher's, at its input shape). */
function studentConfig(
  arch: StudentArch,
  teacher: RunConfig,
  epochs: number,
  seed: number,
): RunConfig {
  return { ...teacher, frames: arch.frames, size: arch.resolution, epochs, seed };
}

function streamsOf(template: ClipTemplate): string[] {
  return template.streams.map((stream) => stream.kind);
}

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

export interface DistillSessionInput {
  /** Teacher checkpoint (step folder, checkpoints root, or a training run's --out). */
  teacher: string;
  manifest: Manifest;
  /** Folder of the shared state: teacher-logits/ and latency.json. */
  out: string;
  cacheDir: string;
  pool: ClipPool;
  /** Student training settings over the teacher's (epochs = default final KD epochs). */
  settings?: StudentTrainSettings;
  /** Weight of the hard-label loss (default 0.5). */
  alpha?: number;
  /** KD temperature (default 4). */
  temperature?: number;
  /** Timed latency runs per student (default 10). */
  latencyRuns?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface StudentLatency {
  /** Model + measured flow (two-stream students), ms per clip at batch 1. */
  latencyMs: number;
  modelLatencyMs: number;
  flowMs: number;
}

export interface TrainStudentOptions {
  /** Saves the student as a checkpoint there (at each epoch end, the last one kept). */
  checkpointDir?: string;
  seed?: number;
  /** Hard-label weight of this run (1 = no KD: the hard loss only). */
  alpha?: number;
}

export interface TrainedStudent {
  network: StudentNetwork;
  template: ClipTemplate;
  runConfig: RunConfig;
  /** Optimizer steps taken. */
  steps: number;
  /** The loss it was trained with. */
  loss: { kind: 'kd'; alpha: number; temperature: number } | { kind: 'hard' };
}

/**
 * The teacher, its cached logits and the clips of a manifest, opened once; students are then
 * trained (with or without KD), scored and timed against it. `runDistillJob` and the
 * distillation experiments share one session across runs.
 */
export interface DistillSession {
  teacher: CheckpointNetwork;
  /** The teacher's run settings with the session's student settings over them. */
  config: RunConfig;
  labels: LabelSpec;
  metric: DistillTableRow['metric'];
  trainItems: ClipItem[];
  valItems: ClipItem[];
  testItems: ClipItem[];
  valSplit: string;
  testSplit: string;
  cache: TeacherCache;
  teacherLogits: DistillJobResult['teacherLogits'];
  /** KD training of one student from the cached logits; the caller disposes the network. */
  trainStudent(
    arch: StudentArch,
    epochs: number,
    options?: TrainStudentOptions,
  ): Promise<TrainedStudent>;
  /** Multi-view score of a student on `items` (the run's test clips). */
  score(
    network: StudentNetwork,
    template: ClipTemplate,
    items: ClipItem[],
    split: string,
  ): Promise<EvalSummary & { split: string }>;
  accuracyOf(summary: EvalSummary): number;
  /** Measured batch-1 latency (cached in out/latency.json) + measured flow for two-stream students. */
  studentLatency(arch: StudentArch): Promise<StudentLatency>;
  /** Measured flow ms of one clip of `frames` frames at `size` px (cached per shape). */
  flowCost(frames: number, size: number): Promise<number>;
  /** The teacher's table row on the test split. */
  teacherRow(): Promise<DistillTableRow>;
  studentRow(
    arch: StudentArch,
    role: DistillTableRow['role'],
    test: EvalSummary,
    latency: StudentLatency,
    epochs: number,
  ): DistillTableRow;
  /** Disposes the teacher network. */
  dispose(): void;
}

export async function openDistillSession(input: DistillSessionInput): Promise<DistillSession> {
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { manifest, pool, out, cacheDir } = input;
  const signalOption = input.signal ? { signal: input.signal } : {};
  const kdDefaults = { alpha: input.alpha ?? 0.5, temperature: input.temperature ?? 4 };
  mkdirSync(out, { recursive: true });

  const teacher = await loadNetworkFromCheckpoint(input.teacher);
  try {
    checkClasses(teacher, manifest);
    const config: RunConfig = { ...teacher.config, ...input.settings };
    const labels: LabelSpec = {
      numClasses: manifest.classes.length,
      multiLabel: manifest.multiLabel,
    };
    const splits = new Set(manifest.items.map((item) => item.split));
    const valSplit = splits.has('val') ? 'val' : 'test';
    const testSplit = splits.has('test') ? 'test' : 'val';
    if (!splits.has(valSplit))
      throw new InputError(
        `distill: expected a val or test split in the manifest, got ${[...splits].join(', ')}`,
      );
    if (valSplit === testSplit)
      log(
        `distill: no val split; students are searched on the ${testSplit} split they are reported on`,
      );
    const rowsOf = (split: string) => manifest.items.filter((item) => item.split === split);
    const trainRows = rowsOf('train');
    if (trainRows.length === 0)
      throw new InputError('distill: expected videos in the train split of the manifest, got none');
    const evalRows = [...new Set([...rowsOf(valSplit), ...rowsOf(testSplit)])];

    // 1. Teacher logits of every clip the students will see, computed once.
    const teacherTemplate = teacher.template(cacheDir);
    const failures = await prepareClips(
      [...trainRows, ...evalRows],
      teacherTemplate,
      teacher.config,
      pool,
      input.signal,
    );
    for (const [id, reason] of failures) log(`distill: left out video ${id}: ${reason}`);
    const usable = (rows: ManifestItem[]) =>
      rows.filter((row) => !failures.has(row.id)).map(toClipItem);
    const trainItems = usable(trainRows);
    const valItems = usable(rowsOf(valSplit));
    const testItems = usable(rowsOf(testSplit));
    if (trainItems.length < config.batch) {
      throw new InputError(
        `distill: expected at least --batch ${config.batch} usable training videos, got ${trainItems.length}`,
      );
    }
    const plan = (items: ClipItem[], split: Split): PlannedClip[] =>
      items.flatMap((item) =>
        extractionPlacements(
          { id: item.id, path: item.video, ...(item.segments ? { segments: item.segments } : {}) },
          split === 'eval' ? config.testClips : 0,
          split === 'train' ? config.trainClips : 0,
        ).map((placement) => ({ item, placement, key: clipKey(placement) })),
      );
    const allClips = [
      ...plan(trainItems, 'train'),
      ...plan([...new Set([...valItems, ...testItems])], 'eval'),
    ];
    const byRef = new Map(allClips.map((clip) => [JSON.stringify([clip.item.id, clip.key]), clip]));
    const teacherId = `${resolve(teacher.checkpointPath)}@step-${teacher.step}`;
    const cache = await TeacherCache.open(join(out, 'teacher-logits'), {
      teacher: teacherId,
      numClasses: labels.numClasses,
    });
    const refs: ClipRef[] = allClips.map((clip) => ({ video: clip.item.id, clip: clip.key }));
    const computed = await cache.fill(
      refs,
      async (part) => {
        const planned = part.map((ref) => byRef.get(JSON.stringify([ref.video, ref.clip]))!);
        const inputs = await loadClips(pool, teacherTemplate, planned, input.signal);
        try {
          return teacher.network.apply(inputs, false);
        } finally {
          tf.dispose(Object.values(inputs));
        }
      },
      config.batch,
    );
    log(
      `distill: teacher logits of ${refs.length} clips (${computed} computed, ${refs.length - computed} from ${cache.file})`,
    );

    // 2. Measured costs.
    const flowCosts = new Map<string, number>();
    const flowCost = async (frames: number, size: number): Promise<number> => {
      const key = `${frames}x${size}`;
      if (!flowCosts.has(key))
        flowCosts.set(
          key,
          await measureFlowMs(pool, trainItems[0]!, frames, size, config, cacheDir),
        );
      return flowCosts.get(key)!;
    };
    const latencyFile = join(out, 'latency.json');
    const latencyOptions = {
      numClasses: labels.numClasses,
      cacheFile: latencyFile,
      ...(input.latencyRuns ? { runs: input.latencyRuns } : {}),
    };
    const studentLatency = async (arch: StudentArch): Promise<StudentLatency> => {
      const flowMs = studentStreams(arch).includes('flow')
        ? await flowCost(arch.frames, arch.resolution)
        : 0;
      const measured = await measureStudentLatency(arch, {
        ...latencyOptions,
        extraMsPerClip: flowMs,
      });
      return { latencyMs: measured.medianMs, modelLatencyMs: measured.medianMs - flowMs, flowMs };
    };

    const trainStudent = async (
      arch: StudentArch,
      epochs: number,
      options: TrainStudentOptions = {},
    ): Promise<TrainedStudent> => {
      const seed = options.seed ?? config.seed;
      const alpha = options.alpha ?? kdDefaults.alpha;
      const kd = { alpha, temperature: kdDefaults.temperature, multiLabel: labels.multiLabel };
      const hardLoss = classificationLoss(labels.multiLabel);
      const runConfig = studentConfig(arch, config, epochs, seed);
      const template = studentTemplate(arch, config, cacheDir);
      const studentFailures = await prepareClips(
        [...trainRows, ...evalRows].filter((row) => !failures.has(row.id)),
        template,
        runConfig,
        pool,
        input.signal,
      );
      if (studentFailures.size > 0)
        throw new InputError(
          `distill: expected the teacher's videos to decode for student ${arch.name}, got failures: ${[...studentFailures.keys()].join(', ')}`,
        );
      const network = createStudent(arch, {
        numClasses: labels.numClasses,
        multiLabel: labels.multiLabel,
        seed,
        norm: { momentum: config.bnMomentum },
      });
      const stepsPerEpoch = Math.floor(trainItems.length / config.batch);
      const totalSteps = stepsPerEpoch * epochs;
      const streams = studentStreams(arch);
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
        streams,
      };
      const optimizer = new SgdMomentum({
        learningRate: config.lr,
        momentum: config.momentum,
        nesterov: config.nesterov,
        weightDecay: config.weightDecay,
      });
      let steps: number;
      try {
        const trained = await train({
          model: network,
          batches: shuffledBatches({
            count: trainItems.length,
            batchSize: config.batch,
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
              const inputs = await loadClips(pool, template, planned, input.signal);
              const teacherLogits = cache.batch(
                planned.map((clip) => ({ video: clip.item.id, clip: clip.key })),
              );
              const kdTensor = kdLabels(
                planned.map((clip) => clip.item),
                teacherLogits,
                labels,
              );
              teacherLogits.dispose();
              return { inputs, labels: kdTensor };
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
          // alpha = 1 is plain training: the hard loss alone (the soft term would be multiplied by 0).
          loss: (logits, kdTensor) =>
            tf.tidy(() => {
              const { hard, teacher: teacherLogits } = splitKdLabels(kdTensor, labels);
              return alpha === 1
                ? hardLoss(logits, hard)
                : distillationLoss(logits, teacherLogits, hard, kd);
            }),
          metric: (logits, kdTensor) =>
            tf.tidy(() => batchAccuracy(logits, splitKdLabels(kdTensor, labels).hard)),
          steps: totalSteps,
          seed,
          ...(options.checkpointDir
            ? {
                checkpoint: {
                  dir: options.checkpointDir,
                  atEpochEnd: true,
                  keep: 1,
                  meta: { options: stored, classes: manifest.classes },
                },
              }
            : {}),
          ...signalOption,
        });
        steps = trained.progress.step;
      } catch (error) {
        network.dispose();
        throw error;
      } finally {
        optimizer.dispose();
      }
      return {
        network,
        template,
        runConfig,
        steps,
        loss: alpha === 1 ? { kind: 'hard' } : { kind: 'kd', alpha, temperature: kd.temperature },
      };
    };

    const score = async (
      network: StudentNetwork,
      template: ClipTemplate,
      items: ClipItem[],
      split: string,
    ) => {
      const predictions = await predictVideos({
        network,
        pool,
        template,
        items,
        labels,
        clips: config.testClips,
        batchSize: config.batch,
        ...signalOption,
      });
      const summary = summarizeScores(
        labels.numClasses,
        labels.multiLabel,
        predictions.map((p) => ({ id: p.item.id, scores: p.scores, labels: p.item.labels })),
      );
      return { ...summary, split };
    };
    const metric: DistillTableRow['metric'] = labels.multiLabel ? 'map' : 'top1';
    const accuracyOf = (summary: EvalSummary) =>
      (labels.multiLabel ? summary.map : summary.top1) ?? 0;
    const studentRow = (
      arch: StudentArch,
      role: DistillTableRow['role'],
      test: EvalSummary,
      latency: StudentLatency,
      epochs: number,
    ): DistillTableRow => ({
      name: arch.name,
      role,
      accuracy: accuracyOf(test),
      metric,
      split: testSplit,
      latencyMs: latency.latencyMs,
      modelLatencyMs: latency.modelLatencyMs,
      flowMs: latency.flowMs,
      parameters: countStudentParameters(arch, labels.numClasses).total,
      flops: estimateStudentFlops(arch, labels.numClasses).flops,
      streams: studentStreams(arch),
      epochs,
      hash: studentHash(arch),
    });
    return {
      teacher,
      config,
      labels,
      metric,
      trainItems,
      valItems,
      testItems,
      valSplit,
      testSplit,
      cache,
      teacherLogits: {
        file: cache.file,
        clips: refs.length,
        computed,
        cached: refs.length - computed,
      },
      trainStudent,
      score,
      accuracyOf,
      studentLatency,
      flowCost,
      studentRow,
      teacherRow: async () =>
        teacherTableRow(
          teacher,
          cache,
          testItems,
          testSplit,
          labels,
          await teacherFlowCost(teacher, flowCost),
          input.latencyRuns,
        ),
      dispose: () => teacher.network.dispose(),
    };
  } catch (error) {
    teacher.network.dispose();
    throw error;
  }
}

export async function runDistillJob(input: DistillJobInput): Promise<DistillJobResult> {
  const started = Date.now();
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { out } = input;
  const target = input.latencyTarget ?? 30;
  const budget = input.budget ?? 8;
  const searchEpochs = input.epochs ?? 1;
  const seed = input.seed ?? input.settings?.seed ?? 1;
  const space = loadSpace(input.space, Boolean(input.rgbOnly));
  mkdirSync(out, { recursive: true });

  const session =
    input.session ??
    (await openDistillSession({
      teacher: input.teacher,
      manifest: input.manifest,
      out,
      cacheDir: input.cacheDir,
      pool: input.pool,
      ...(input.settings ? { settings: input.settings } : {}),
      ...(input.alpha !== undefined ? { alpha: input.alpha } : {}),
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.latencyRuns ? { latencyRuns: input.latencyRuns } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      log,
    }));
  try {
    const { config, valItems, testItems, valSplit, testSplit, metric } = session;
    const finalEpochs = input.finalEpochs ?? config.epochs;
    const studentOptions = { seed, ...(input.alpha !== undefined ? { alpha: input.alpha } : {}) };

    // 3. Search.
    const searched = new Map<string, { test: EvalSummary; latency: StudentLatency }>();
    const search = await searchStudents({
      space,
      budget,
      rng: Rng.fromSeed(seed),
      reward: { target, ...(input.w !== undefined ? { w: input.w } : {}) },
      evaluate: async (arch) => {
        const { network, template } = await session.trainStudent(
          arch,
          searchEpochs,
          studentOptions,
        );
        let val: EvalSummary;
        let test: EvalSummary;
        try {
          val = await session.score(network, template, valItems, valSplit);
          test =
            valSplit === testSplit
              ? val
              : await session.score(network, template, testItems, testSplit);
        } finally {
          network.dispose(); // before timing: the latency probe builds the same variable names
        }
        const latency = await session.studentLatency(arch);
        searched.set(studentHash(arch), { test, latency });
        return { accuracy: session.accuracyOf(val), latencyMs: latency.latencyMs };
      },
      onRecord: (record) =>
        log(
          `distill: ${record.arch.name} ${record.arch.streams} ${metric} ${(100 * record.accuracy).toFixed(1)}% ${record.latencyMs.toFixed(1)} ms reward ${record.reward.toFixed(4)}`,
        ),
    });

    // 4. The chosen student, trained longer, saved as a checkpoint.
    const best = search.best;
    const studentDir = join(out, 'student');
    const archFile = join(studentDir, 'student.json');
    writeJsonAtomic(archFile, studentToJSON(best.arch));
    const final = await session.trainStudent(best.arch, finalEpochs, {
      ...studentOptions,
      checkpointDir: join(studentDir, 'checkpoints'),
    });
    let chosenTest: EvalSummary & { split: string };
    try {
      chosenTest = await session.score(final.network, final.template, testItems, testSplit);
    } finally {
      final.network.dispose();
    }
    const checkpoint = await latestCheckpoint(join(studentDir, 'checkpoints'));
    if (!checkpoint)
      throw new InputError(`distill: expected a student checkpoint under ${studentDir}, got none`);
    const chosenLatency = await session.studentLatency(best.arch);

    // 5. Compound-scaled family of the chosen student.
    const family: DistillJobResult['family'] = [];
    for (const phi of [-1, 0, 1]) {
      try {
        const scaled = scaleStudent(best.arch, phi);
        const file = join(out, 'family', `${best.arch.name}-phi${phi}.json`);
        writeJsonAtomic(file, studentToJSON(scaled));
        family.push({
          phi,
          file,
          parameters: countStudentParameters(scaled, session.labels.numClasses).total,
          flops: estimateStudentFlops(scaled, session.labels.numClasses).flops,
        });
      } catch (error) {
        log(`distill: no phi=${phi} member: ${(error as Error).message}`);
      }
    }

    // 6. The table on the test split.
    const table: DistillTableRow[] = [
      await session.teacherRow(),
      session.studentRow(best.arch, 'chosen', chosenTest, chosenLatency, finalEpochs),
      ...search.pareto.map((record) => {
        const seen = searched.get(record.hash)!;
        return session.studentRow(record.arch, 'pareto', seen.test, seen.latency, searchEpochs);
      }),
    ];
    const result: DistillJobResult = {
      teacherLogits: session.teacherLogits,
      target,
      records: search.records,
      pareto: search.pareto,
      chosen: {
        arch: best.arch,
        hash: best.hash,
        checkpoint,
        archFile,
        latencyMs: chosenLatency.latencyMs,
        target,
        meetsTarget: chosenLatency.latencyMs <= target,
        test: chosenTest,
      },
      family,
      table,
      seconds: (Date.now() - started) / 1000,
    };
    writeJsonAtomic(join(out, 'distill.json'), result);
    return result;
  } finally {
    if (!input.session) session.dispose();
  }
}

function checkClasses(teacher: CheckpointNetwork, manifest: Manifest): void {
  const same =
    teacher.classes.length === manifest.classes.length &&
    teacher.classes.every((name, i) => name === manifest.classes[i]);
  if (!same || teacher.multiLabel !== manifest.multiLabel) {
    throw new InputError(
      `distill: expected the manifest's classes to be the teacher's (${teacher.classes.length}, ${teacher.multiLabel ? 'multi' : 'single'}-label), got ${manifest.classes.length} (${manifest.multiLabel ? 'multi' : 'single'}-label)`,
    );
  }
}

/**
 * Milliseconds of optical flow for one clip: `frames` frame pairs of a real training video at
 * `size` px through `computeFlow` with the run's method, timed once.
 */
async function measureFlowMs(
  pool: ClipPool,
  item: ClipItem,
  frames: number,
  size: number,
  config: RunConfig,
  cacheDir: string,
): Promise<number> {
  const template = clipTemplate({
    streams: ['rgb'],
    frames: frames + 1,
    size,
    fps: config.fps,
    cacheDir,
  });
  const clip = await pool.run({
    ...template,
    video: item.video,
    placement: { kind: 'test', index: 0, count: 1 },
    output: 'arrays',
  });
  const rgb = clip.streams[0]!;
  const [count, height, width] = rgb.shape;
  const pixels = height * width * 3;
  const grays = Array.from({ length: count }, (_, t) =>
    rgbToGray(rgb.data!.subarray(t * pixels, (t + 1) * pixels), width, height),
  );
  const run = async () => {
    for (let t = 0; t + 1 < grays.length; t++)
      await computeFlow(grays[t]!, grays[t + 1]!, width, height, { method: config.flow });
  };
  await computeFlow(grays[0]!, grays[1] ?? grays[0]!, width, height, { method: config.flow }); // warm-up (wasm/OpenCV load)
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function teacherFlowCost(
  teacher: CheckpointNetwork,
  flowCost: (frames: number, size: number) => Promise<number>,
): Promise<number> {
  return teacher.streams.includes('flow')
    ? flowCost(teacher.config.frames, teacher.config.size)
    : 0;
}

/** The teacher's row: test accuracy from its cached logits (mean softmax/sigmoid over views), measured latency. */
async function teacherTableRow(
  teacher: CheckpointNetwork,
  cache: TeacherCache,
  items: ClipItem[],
  split: string,
  labels: LabelSpec,
  flowMs: number,
  runs: number | undefined,
): Promise<DistillTableRow> {
  const { config } = teacher;
  const views = Array.from({ length: config.testClips }, (_, index) =>
    clipKey({ kind: 'test', index, count: config.testClips }),
  );
  const videos = items.map((item) => {
    const probabilities = tf.tidy(() => {
      const logits = cache.batch(views.map((clip) => ({ video: item.id, clip })));
      return tf.mean(labels.multiLabel ? tf.sigmoid(logits) : tf.softmax(logits), 0);
    });
    const scores = Array.from(probabilities.dataSync());
    probabilities.dispose();
    return { id: item.id, scores, labels: item.labels };
  });
  const summary = summarizeScores(labels.numClasses, labels.multiLabel, videos);
  const inputs: Record<string, Tensor4D> = {};
  const channels = { rgb: 3, flow: 2 } as const;
  for (const stream of teacher.streams)
    inputs[stream] = tf.randomUniform(
      [config.frames, config.size, config.size, channels[stream]],
      -1,
      1,
      'float32',
      7,
    ) as Tensor4D;
  let modelMs: number;
  try {
    modelMs = (
      await measureLatency(() => teacher.network.apply(inputs, false), runs ? { runs } : {})
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
    accuracy: (labels.multiLabel ? summary.map : summary.top1) ?? 0,
    metric: labels.multiLabel ? 'map' : 'top1',
    split,
    latencyMs: modelMs + flowMs,
    modelLatencyMs: modelMs,
    flowMs,
    parameters: genome ? countParameters(genome, scale).total : 0,
    flops: genome
      ? estimateFlops(genome, { ...scale, frames: config.frames, resolution: config.size }).flops
      : 0,
    streams: [...teacher.streams],
  };
}

/** The table for people, one row per network. */
export function formatDistillTable(result: DistillJobResult): string {
  const header = [
    'role',
    'name',
    'streams',
    'KD epochs',
    'acc',
    'latency ms',
    'no-flow ms',
    'params',
    'MFLOPs',
  ];
  const rows = result.table.map((row) => [
    row.role,
    row.name,
    row.streams.join('+'),
    row.epochs === undefined ? '-' : String(row.epochs),
    `${(100 * row.accuracy).toFixed(1)}% ${row.metric}`,
    row.latencyMs.toFixed(1),
    row.modelLatencyMs.toFixed(1),
    String(row.parameters),
    (row.flops / 1e6).toFixed(1),
  ]);
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => row[c]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const verdict = `chosen student ${result.chosen.latencyMs.toFixed(1)} ms vs target ${result.target} ms: ${result.chosen.meetsTarget ? 'meets' : 'misses'} the target`;
  return [line(header), ...rows.map(line), verdict].join('\n');
}
