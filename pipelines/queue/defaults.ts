/**
 * The queue's defaults, in a module with no imports: the commands show them in --help without
 * loading BullMQ (they import the queue only when they use it).
 */

/** Videos per classify job: enough to amortise loading the network, small enough to spread. */
export const DEFAULT_CLASSIFY_SHARD_SIZE = 8;

/** Videos per extract job. */
export const DEFAULT_EXTRACT_SHARD_SIZE = 16;

/** Lock and stalled-check defaults: a killed worker's job runs again within ~10-20 s. */
export const DEFAULT_LOCK_DURATION_MS = 10_000;
export const DEFAULT_STALLED_INTERVAL_MS = 5_000;

/** Jobs a worker runs at once (one process each). */
export const DEFAULT_WORKER_CONCURRENCY = 1;
