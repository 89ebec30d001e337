/** Workers: the piscina pool, the clip task (decode + flow), the on-disk cache, dataset extraction. */
export { WorkerPool, WorkerTaskError, defaultWorkerCount } from './pool.ts';
export type { WorkerPoolOptions, RunTaskOptions } from './pool.ts';
export { withTransfer, buffersOf } from './transfer.ts';
export type { TransferEnvelope } from './transfer.ts';
export { ClipPool } from './clipPool.ts';
export type { ClipPoolOptions } from './clipPool.ts';
export { CLIP_CODE_VERSION } from './clipSpec.ts';
export type {
  ClipRequest,
  ClipResult,
  ClipStreamRequest,
  ClipStreamResult,
  ClipPlacement,
  ClipGeometry,
  FlowSettings,
} from './clipSpec.ts';
export { extractDataset, extractionPlacements, defaultStreams } from './extract.ts';
export type {
  ExtractDatasetInput,
  ExtractOptions,
  ExtractProgress,
  ExtractSummary,
  ExtractVideo,
  ExtractVideoReport,
} from './extract.ts';
export {
  DiskCache,
  CACHE_DIR_ENV,
  cacheKey,
  canonicalJson,
  defaultCacheDir,
  fileIdentity,
} from '../cache/diskCache.ts';
export type { CacheRead, FileIdentity, FileIdentityMode } from '../cache/diskCache.ts';
export { decodeEntry, encodeEntry, ENTRY_FORMAT } from '../cache/entryFile.ts';
export type { ArraySpec, DecodedEntry, EntryCheck } from '../cache/entryFile.ts';
export { runInChildProcess } from './childProcess.ts';
export type { ChildProcessOptions } from './childProcess.ts';
