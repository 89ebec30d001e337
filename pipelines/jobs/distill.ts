/**
 * The distillation job's public surface (the parts live in ./distill/, one responsibility each):
 *
 *   session.ts         teacher, splits, clips and the teacher outputs of a manifest, opened once
 *   teacherOutputs.ts  teacher logits (+ pooled features) of every clip, cached on disk
 *   costs.ts           measured latency: model on the job's engine, flow in the job's worker pool
 *   trainStudent.ts    student training from the cached outputs (heap-sized batch, objective)
 *   score.ts           multi-view scores and table rows
 *   candidateTask.ts   one student trained in its own process
 *   journal.ts         the append-only search journal (--resume)
 *   job.ts             runDistillJob: search, final student, family, table
 *   table.ts           the table for people
 *
 * KD label packing and the losses are library code: src/distill/kdTargets.ts, objective.ts.
 */
export { clipKey, type PlannedClip } from './distill/teacherOutputs.ts';
export { createCostProbe, type StudentLatency } from './distill/costs.ts';
export {
  DEFAULT_FEATURE_WEIGHT,
  openDistillSession,
  type DistillSession,
  type DistillSessionInput,
} from './distill/session.ts';
export {
  studentTemplate,
  type StudentTrainSettings,
  type TrainStudentOptions,
  type TrainedStudent,
} from './distill/trainStudent.ts';
export { accuracyOf, type SplitScore } from './distill/score.ts';
export {
  DEFAULT_STUDENT_SPACE,
  DISTILL_DEFAULTS,
  failureReason,
  rankForChoice,
  runDistillJob,
  type DistillJobInput,
  type DistillJobResult,
} from './distill/job.ts';
export { readSearchJournal, type CandidateEntry, type FinalEntry } from './distill/journal.ts';
export { formatDistillTable, type DistillTableRow } from './distill/table.ts';
