/**
 * The teacher's outputs for every clip a student will see, computed once and kept on disk:
 * logits in out/teacher-logits/, and with feature distillation its pooled features in
 * out/teacher-features/ (both `TeacherCache` files bound to the teacher checkpoint and step).
 * A second run, or a candidate's own process, reads them: the teacher is not re-run.
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  InputError,
  TeacherCache,
  clipsToInputs,
  tf,
  type AssembleNetwork,
  type ClipItem,
  type ClipPlacement,
  type ClipPool,
  type ClipRef,
  type ClipTemplate,
} from '../../../src/index.ts';
import type { CheckpointNetwork } from '../../../src/networks/checkpointNetwork.ts';

/** The teacher cache key of a clip placement ("train:seed=1", "test:0/2"). */
export function clipKey(placement: ClipPlacement): string {
  return placement.kind === 'train'
    ? `train:seed=${placement.seed}`
    : `test:${placement.index}/${placement.count}`;
}

export interface PlannedClip {
  item: ClipItem;
  placement: ClipPlacement;
  key: string;
}

/** The clips of `planned` through the pool, as network inputs [B*T, H, W, C] per stream. */
export async function loadClips(
  pool: ClipPool,
  template: ClipTemplate,
  planned: PlannedClip[],
  signal?: AbortSignal,
): Promise<Record<string, tf.Tensor4D>> {
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

export interface TeacherOutputs {
  logits: TeacherCache;
  /** With feature distillation: the teacher's pooled features per clip. */
  features?: TeacherCache;
  /** Root mean square of the cached training features (targets are divided by it), else 1. */
  featureScale: number;
  summary: { file: string; clips: number; computed: number; cached: number };
}

/**
 * What binds cached teacher outputs and a search journal to one teacher: the checkpoint's real
 * path (the same checkpoint reached through a symlink, or another worktree linking the same runs
 * folder, is the same teacher) and its step.
 */
export function teacherIdentity(
  teacher: Pick<CheckpointNetwork, 'checkpointPath' | 'step'>,
): string {
  return `${realpathSync(resolve(teacher.checkpointPath))}@step-${teacher.step}`;
}

export async function fillTeacherOutputs(input: {
  teacher: CheckpointNetwork;
  out: string;
  pool: ClipPool;
  template: ClipTemplate;
  clips: PlannedClip[];
  numClasses: number;
  batch: number;
  features: boolean;
  signal?: AbortSignal;
  log: (line: string) => void;
}): Promise<TeacherOutputs> {
  const { teacher, clips } = input;
  const byRef = new Map(clips.map((clip) => [JSON.stringify([clip.item.id, clip.key]), clip]));
  const teacherId = teacherIdentity(teacher);
  const refs: ClipRef[] = clips.map((clip) => ({ video: clip.item.id, clip: clip.key }));
  const planOf = (part: readonly ClipRef[]) =>
    part.map((ref) => byRef.get(JSON.stringify([ref.video, ref.clip]))!);
  const run = async <T>(
    part: readonly ClipRef[],
    f: (inputs: Record<string, tf.Tensor4D>) => T,
  ) => {
    const inputs = await loadClips(input.pool, input.template, planOf(part), input.signal);
    try {
      return f(inputs);
    } finally {
      tf.dispose(Object.values(inputs));
    }
  };
  const logits = await TeacherCache.open(join(input.out, 'teacher-logits'), {
    teacher: teacherId,
    numClasses: input.numClasses,
  });
  const computed = await logits.fill(
    refs,
    (part) => run(part, (inputs) => teacher.network.apply(inputs, false)),
    input.batch,
  );
  input.log(
    `distill: teacher logits of ${refs.length} clips (${computed} computed, ${refs.length - computed} from ${logits.file})`,
  );
  let features: TeacherCache | undefined;
  let featureScale = 1;
  if (input.features) {
    // Every network the checkpoint registry builds (AssembleNet, student) has pooled features.
    const network = teacher.network as typeof teacher.network &
      Partial<Pick<AssembleNetwork, 'features' | 'featureChannels'>>;
    const { features: featuresOf, featureChannels } = network;
    if (!featuresOf || !featureChannels)
      throw new InputError(
        `distill: feature distillation expected a teacher with pooled features, got a ${teacher.kind} network without them`,
      );
    features = await TeacherCache.open(join(input.out, 'teacher-features'), {
      teacher: teacherId,
      numClasses: featureChannels,
    });
    const made = await features.fill(
      refs,
      (part) => run(part, (inputs) => featuresOf(inputs, false)),
      input.batch,
    );
    input.log(`distill: teacher features of ${refs.length} clips (${made} computed)`);
    const train = refs.filter((ref) => ref.clip.startsWith('train:'));
    featureScale = tf.tidy(() => {
      const all = features!.batch(train.length > 0 ? train : refs);
      return Math.sqrt(tf.mean(tf.square(all)).dataSync()[0]!) || 1;
    });
  }
  return {
    logits,
    ...(features ? { features } : {}),
    featureScale,
    summary: { file: logits.file, clips: refs.length, computed, cached: refs.length - computed },
  };
}
