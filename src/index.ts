/**
 * AssembleNet-TS public API: the one module applications (pipelines/, evolution/, datasets/,
 * bench/) import. Names are listed one by one, so a change to the API is a visible diff (and
 * test/api/publicApi.test.ts lists them); everything else under src/ is internal.
 */
import { PACKAGE_VERSION } from './version.ts';

export { PACKAGE_VERSION };

// errors: one typed class per kind of failure
export {
  AssembleNetError,
  EngineError,
  InputError,
  ToolError,
  VideoError,
  describeError,
} from './errors.ts';

// engine: backend choice and threads, the (2+1)D op, checkpoint IO, the wasm heap guard
export { BACKEND_ENV, backendReport, parseBackendChoice, selectBackend } from './engine/backend.ts';
export type { BackendChoice } from './engine/backend.ts';
export { conv2plus1d } from './engine/conv2plus1d.ts';
export { planBatchForHeap, profileTrainingStep, setHeapLimit } from './engine/memoryGuard.ts';
export type { BatchPlan, StepBytes } from './engine/memoryGuard.ts';
export { selfCheck } from './engine/selfCheck.ts';
export { tf } from './engine/tf.ts';
export { MODEL_JSON, loadCheckpoint, saveCheckpoint } from './engine/weightsIO.ts';
export type { JsonObject } from './engine/weightsIO.ts';

// video: ffmpeg/ffprobe resolution, probing, decoding, clip sampling, encoding, still images
export { MEDIA_BOUNDS } from './video/bounds.ts';
export { decodeFrames, planDecode } from './video/decode.ts';
export type { DecodeOptions } from './video/decode.ts';
export { createVideoWriter } from './video/encode.ts';
export type { VideoCodec } from './video/encode.ts';
export { readImage } from './video/image.ts';
export { probeVideo } from './video/probe.ts';
export { inspectBuild, listToolCandidates, resolveTool, toolVersion } from './video/tools.ts';
export type { ToolName } from './video/tools.ts';

// flow: TV-L1 and Farneback, computeFlow, .flo IO, EPE, synthetic pairs
export { endPointError, interiorMask } from './flow/epe.ts';
export { FARNEBACK_DEFAULTS, farnebackFlow, loadOpenCv } from './flow/farneback.ts';
export { writeFlo } from './flow/flo.ts';
export { rgbToGray } from './flow/gray.ts';
export { FLOW_METHODS, computeFlow } from './flow/index.ts';
export type { FlowMethod } from './flow/index.ts';
export { syntheticFlowPair } from './flow/synthetic.ts';
export type { SyntheticMotion } from './flow/synthetic.ts';
export { TVL1_DEFAULTS, Tvl1Solver } from './flow/tvl1.ts';

// metrics: top-k, mean class accuracy, Charades mAP, multi-view aggregation, submission format
export {
  confusionMatrix,
  meanClassAccuracy,
  perClassRecall,
  top1Accuracy,
  topKAccuracy,
} from './metrics/accuracy.ts';
export { meanAveragePrecision, perClassAveragePrecision } from './metrics/averagePrecision.ts';
export { aggregateViews } from './metrics/multiView.ts';
export { multiHot, scoreMatrixFromRows } from './metrics/scoreMatrix.ts';
export { charadesIdProblem, formatCharadesSubmission } from './metrics/submission.ts';

// model: genomes (validation, official codec), counts, genome -> network
export {
  formatIssue,
  genomeToJSON,
  isBlock,
  isStem,
  parseGenome,
  readGenome,
  safeParseGenome,
  safeReadGenome,
  stripConnectionWeights,
} from './model/genome.ts';
export type { BlockLevel, Genome, GenomeNode, StemNode } from './model/genome.ts';
export { createAssembleNet } from './model/network.ts';
export type { AssembleNetwork, NetworkOptions } from './model/network.ts';
export { fromOfficial, safeFromOfficial, toOfficial } from './model/official.ts';
export { countParameters, estimateFlops } from './model/scaling.ts';

// train: schedule, losses, SGD momentum, batches, the resumable loop, checkpoints, progress
export { disposeBatch, shuffledBatches } from './train/batches.ts';
export {
  latestCheckpoint,
  readCheckpointState,
  resolveCheckpoint,
  restoreTrainingCheckpoint,
} from './train/checkpoint.ts';
export type { CheckpointState } from './train/checkpoint.ts';
export { train } from './train/loop.ts';
export { batchAccuracy, classificationLoss, softmaxCrossEntropy } from './train/losses.ts';
export { MetricsLog } from './train/metricsLog.ts';
export { SgdMomentum } from './train/optimizer.ts';
export { ProgressReporter, formatDuration } from './train/stepProgress.ts';
export type { EpochRecord, StepRecord } from './train/records.ts';
export { cosineSchedule } from './train/schedule.ts';

// util: seeded random numbers, lanes, atomic files
export { writeJsonAtomic } from './util/atomicFile.ts';
export { runInLanes } from './util/lanes.ts';
export { Rng } from './util/random.ts';

// cache: the verified on-disk clip cache
export { defaultCacheDir } from './cache/diskCache.ts';
export type { FileIdentityMode } from './cache/diskCache.ts';

// workers: the piscina pool, the clip task, extraction, child processes
export { runInChildProcess } from './workers/childProcess.ts';
export { ClipPool } from './workers/clipPool.ts';
export { defaultWorkerCount } from './workers/pool.ts';
export type {
  ClipPlacement,
  ClipRequest,
  ClipResult,
  ClipStreamRequest,
} from './workers/clipSpec.ts';
export { extractDataset, extractionPlacements } from './workers/extract.ts';
export type { ExtractSummary, ExtractVideo } from './workers/extract.ts';

// data: clips -> tensor batches, augmentation
export { drawShifts, shiftedSourceIndex } from './data/augment.ts';
export {
  clipTemplate,
  clipsToInputs,
  labelsTensor,
  testBatches,
  trainingClipLoader,
} from './data/clipBatches.ts';
export type { ClipItem, ClipTemplate, LabelSpec } from './data/clipBatches.ts';

// distill: KD losses and targets, teacher cache, students, latency, student search
export { kdTargetWidth, packKdTargets, splitKdTargets } from './distill/kdTargets.ts';
export type { KdTargetSpec } from './distill/kdTargets.ts';
export {
  measureLatency,
  measureStudentLatency,
  parseLatency,
  studentInputShapes,
} from './distill/latency.ts';
export { KD_DEFAULTS, distillationLoss, softmaxDistillation } from './distill/losses.ts';
export { featureRegressionLoss, objectiveLoss, withFeatureRegressor } from './distill/objective.ts';
export type { StudentObjective } from './distill/objective.ts';
export {
  archFromDecisions,
  chooseStudent,
  mutateStudent,
  paretoFront,
  parseStudentSpace,
  reward,
  sampleStudent,
  searchStudents,
  spaceDecisions,
} from './distill/search.ts';
export type { SearchRecord, StudentOutcome, StudentSpace } from './distill/search.ts';
export {
  parseStudent,
  readStudent,
  safeParseStudent,
  splitChannels,
  studentHash,
  studentStreams,
  studentToJSON,
} from './distill/student.ts';
export type { StudentArch } from './distill/student.ts';
export {
  countStudentParameters,
  estimateStudentFlops,
  scaleStudent,
} from './distill/studentCost.ts';
export { createStudent } from './distill/studentNetwork.ts';
export type { StudentNetwork } from './distill/studentNetwork.ts';
export { TeacherCache } from './distill/teacherCache.ts';
export type { ClipRef } from './distill/teacherCache.ts';
