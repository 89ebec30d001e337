/** What the commands use of the queue (loaded only with --queue). */
export { Coordinator, QueueJobError, DEFAULT_JOB_ATTEMPTS } from './coordinator.ts';
export { queueClassifier } from './classify.ts';
export { extractThroughQueue } from './extract.ts';
export * from './defaults.ts';
export { queueCandidateEvaluator } from './evolve.ts';
