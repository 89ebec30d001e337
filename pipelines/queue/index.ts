/** What the commands use of the queue (loaded only with --queue). */
export { Coordinator, QueueJobError, DEFAULT_JOB_ATTEMPTS } from './coordinator.ts';
export { queueClassifier, DEFAULT_CLASSIFY_SHARD_SIZE } from './classify.ts';
export { extractThroughQueue, DEFAULT_EXTRACT_SHARD_SIZE } from './extract.ts';
export { queueCandidateEvaluator } from './evolve.ts';
