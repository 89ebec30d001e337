/**
 * A distillation session: the teacher, its cached outputs and the clips of a manifest, opened
 * once; students are then trained (hard labels, logit KD, feature KD), scored and timed against
 * it. The distill job, its candidate processes and the experiments each open one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  InputError,
  KD_DEFAULTS,
  extractionPlacements,
  type ClipItem,
  type ClipPool,
  type LabelSpec,
  type StudentObjective,
} from '../../../src/index.ts';
import type { Manifest, ManifestItem } from '../../../datasets/index.ts';
import {
  loadNetworkFromCheckpoint,
  type CheckpointNetwork,
} from '../../../src/networks/checkpointNetwork.ts';
import type { RunConfig } from '../../../src/networks/runConfig.ts';
import type { EvalSummary } from '../summarize.ts';
import { prepareClips, toClipItem } from '../train.ts';
import { createCostProbe, type CostProbe } from './costs.ts';
import { accuracyOf, createScorer, teacherTableRow, type ScoreStudent } from './score.ts';
import type { DistillTableRow } from './table.ts';
import {
  clipKey,
  fillTeacherOutputs,
  type PlannedClip,
  type TeacherOutputs,
} from './teacherOutputs.ts';
import {
  createStudentTrainer,
  type StudentTrainSettings,
  type TrainStudent,
} from './trainStudent.ts';

/** Weight of the feature-regression term when feature distillation is on (targets at unit RMS). */
export const DEFAULT_FEATURE_WEIGHT = 1;

export interface DistillSessionInput {
  /** Teacher checkpoint (step folder, checkpoints root, or a training run's --out). */
  teacher: string;
  manifest: Manifest;
  /** Folder of the shared state: teacher-logits/, teacher-features/ and latency.json. */
  out: string;
  cacheDir: string;
  pool: ClipPool;
  /** Student training settings over the teacher's (epochs = default final epochs). */
  settings?: StudentTrainSettings;
  /** The default objective of `trainStudent` (KD with KD_DEFAULTS, no feature term). */
  objective?: Partial<StudentObjective>;
  /** Cache the teacher's pooled features too (needed by feature distillation). */
  features?: boolean;
  /** Timed latency runs per student (default 10). */
  latencyRuns?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DistillSession {
  teacher: CheckpointNetwork;
  /** The teacher's run settings with the session's student settings over them. */
  config: RunConfig;
  labels: LabelSpec;
  metric: DistillTableRow['metric'];
  objective: StudentObjective;
  trainItems: ClipItem[];
  valItems: ClipItem[];
  testItems: ClipItem[];
  valSplit: string;
  testSplit: string;
  /** Videos the teacher's clips could not be made for (left out). */
  failed: string[];
  outputs: TeacherOutputs;
  teacherLogits: TeacherOutputs['summary'];
  trainStudent: TrainStudent;
  score: ScoreStudent;
  accuracyOf(summary: Pick<EvalSummary, 'top1' | 'map'>): number;
  costs: CostProbe;
  /** The teacher's table row on the test split. */
  teacherRow(): Promise<DistillTableRow>;
  /** Disposes the teacher network. */
  dispose(): void;
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

export async function openDistillSession(input: DistillSessionInput): Promise<DistillSession> {
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { manifest, pool, out, cacheDir } = input;
  mkdirSync(out, { recursive: true });
  const objective: StudentObjective = {
    logits: 'kd',
    featureWeight: 0,
    ...KD_DEFAULTS,
    ...input.objective,
  };

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

    const teacherTemplate = teacher.template(cacheDir);
    const failures = await prepareClips(
      [...trainRows, ...evalRows],
      teacherTemplate,
      teacher.config,
      pool,
      input.signal,
    );
    for (const [id, reason] of failures) log(`distill: left out video ${id}: ${reason}`);
    const usableRows = (rows: ManifestItem[]) => rows.filter((row) => !failures.has(row.id));
    const usable = (rows: ManifestItem[]) => usableRows(rows).map(toClipItem);
    const trainItems = usable(trainRows);
    const valItems = usable(rowsOf(valSplit));
    const testItems = usable(rowsOf(testSplit));
    if (trainItems.length < config.batch) {
      throw new InputError(
        `distill: expected at least --batch ${config.batch} usable training videos, got ${trainItems.length}`,
      );
    }
    const plan = (items: ClipItem[], split: 'train' | 'eval'): PlannedClip[] =>
      items.flatMap((item) =>
        extractionPlacements(
          { id: item.id, path: item.video, ...(item.segments ? { segments: item.segments } : {}) },
          split === 'eval' ? config.testClips : 0,
          split === 'train' ? config.trainClips : 0,
        ).map((placement) => ({ item, placement, key: clipKey(placement) })),
      );
    const outputs = await fillTeacherOutputs({
      teacher,
      out,
      pool,
      template: teacherTemplate,
      clips: [
        ...plan(trainItems, 'train'),
        ...plan([...new Set([...valItems, ...testItems])], 'eval'),
      ],
      numClasses: labels.numClasses,
      batch: config.batch,
      features: Boolean(input.features),
      ...(input.signal ? { signal: input.signal } : {}),
      log,
    });
    const costs = createCostProbe({
      pool,
      video: trainItems[0]!,
      config,
      numClasses: labels.numClasses,
      latencyFile: join(out, 'latency.json'),
      ...(input.latencyRuns ? { latencyRuns: input.latencyRuns } : {}),
    });
    const trainStudent = createStudentTrainer({
      config,
      objective,
      labels,
      classes: manifest.classes,
      trainItems,
      rows: usableRows([...trainRows, ...evalRows]),
      teacher: outputs,
      pool,
      cacheDir,
      ...(input.signal ? { signal: input.signal } : {}),
      log,
    });
    const score = createScorer({
      pool,
      labels,
      config,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    return {
      teacher,
      config,
      labels,
      metric: labels.multiLabel ? 'map' : 'top1',
      objective,
      trainItems,
      valItems,
      testItems,
      valSplit,
      testSplit,
      failed: [...failures.keys()],
      outputs,
      teacherLogits: outputs.summary,
      trainStudent,
      score,
      accuracyOf: (summary) => accuracyOf(labels, summary),
      costs,
      teacherRow: async () =>
        teacherTableRow({
          teacher,
          cache: outputs.logits,
          items: testItems,
          split: testSplit,
          labels,
          flowMs: teacher.streams.includes('flow')
            ? await costs.flowCost(teacher.config.frames, teacher.config.size)
            : 0,
          ...(input.latencyRuns ? { runs: input.latencyRuns } : {}),
        }),
      dispose: () => teacher.network.dispose(),
    };
  } catch (error) {
    teacher.network.dispose();
    throw error;
  }
}
