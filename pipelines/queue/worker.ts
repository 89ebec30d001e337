/**
 * The queue worker: takes jobs of the project's kinds from BullMQ and runs each in a child
 * process of its own (runInChildProcess, the same task modules as the local path), so the
 * worker's event loop stays free to renew job locks and a crash of the task is a failed attempt.
 * The child exits when the worker dies (its IPC channel closes), so a SIGKILLed worker leaves
 * nothing running; its job's lock expires and another worker takes the job (stalled-job check).
 *
 * Refused without retry (UnrecoverableError): unknown kinds, payloads that fail their schema,
 * paths outside --root. Retried up to the job's attempts: files this worker cannot see, task
 * failures.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { describeError } from '../../src/errors.ts';
import { runInChildProcess } from '../../src/index.ts';
import { QUEUE_NAME, parseQueueUrl, redactQueueUrl } from './connection.ts';
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  DEFAULT_WORKER_CONCURRENCY,
} from './defaults.ts';
import { JOB_KINDS, JOB_KIND_NAMES, isJobKind, type JobPaths } from './kinds.ts';
import { OutsideRootError, checkJobPaths } from './paths.ts';

export interface WorkerOptions {
  url: string;
  /** Jobs at once, each in its own child process. Default 1. */
  concurrency?: number;
  /** Every path a job names must lie inside this folder. */
  root: string;
  /** Compute backend for the task processes (ASSEMBLENET_BACKEND). */
  backend?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops taking jobs, kills running tasks (their jobs return to the queue) and disconnects. */
  stop(): Promise<void>;
}

/** Validates a job and returns its kind, payload and paths; throws UnrecoverableError when refused. */
export function admitJob(
  name: string,
  data: unknown,
  root: string,
): { kind: keyof typeof JOB_KINDS; payload: unknown } {
  if (!isJobKind(name)) {
    throw new UnrecoverableError(
      `refused: unknown job kind "${name}" (this worker takes ${JOB_KIND_NAMES.join(', ')})`,
    );
  }
  const spec = JOB_KINDS[name];
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
      .join('; ');
    throw new UnrecoverableError(`refused: ${name}: expected a valid payload, got: ${issues}`);
  }
  const paths = (spec.paths as (payload: unknown) => JobPaths)(parsed.data);
  try {
    checkJobPaths(name, paths, root);
  } catch (error) {
    if (error instanceof OutsideRootError) throw new UnrecoverableError(error.message);
    throw error;
  }
  return { kind: name, payload: parsed.data };
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const running = new Set<AbortController>();
  const env: Record<string, string> = options.backend
    ? { ASSEMBLENET_BACKEND: options.backend }
    : {};

  const processor = async (job: Job): Promise<unknown> => {
    const attempt = `attempt ${job.attemptsMade + 1}`;
    log(`worker: start ${job.name} ${job.id} (${attempt})`);
    const started = Date.now();
    const abort = new AbortController();
    running.add(abort);
    try {
      const { kind, payload } = admitJob(job.name, job.data, options.root);
      const result = await runInChildProcess(JOB_KINDS[kind].task, payload, {
        label: `${kind} ${job.id}`,
        signal: abort.signal,
        env,
      });
      log(`worker: done ${job.name} ${job.id} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      log(`worker: failed ${job.name} ${job.id} (${attempt}): ${describeError(error)}`);
      throw error;
    } finally {
      running.delete(abort);
    }
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: parseQueueUrl(options.url),
    concurrency: options.concurrency ?? DEFAULT_WORKER_CONCURRENCY,
    lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    maxStalledCount: 2,
    autorun: false,
  });
  // Connection errors repeat while Redis is down: one line per distinct message.
  let lastError = '';
  worker.on('error', (error) => {
    const text = describeError(error);
    if (text !== lastError) log(`worker: ${text} (retrying)`);
    lastError = text;
  });
  worker.on('ready', () => {
    if (lastError) log('worker: connected again');
    lastError = '';
  });
  void worker.run();
  await worker.waitUntilReady();
  log(
    `worker: taking ${JOB_KIND_NAMES.join(', ')} jobs from ${redactQueueUrl(options.url)} (concurrency ${options.concurrency ?? DEFAULT_WORKER_CONCURRENCY}, root ${options.root})`,
  );
  return {
    worker,
    stop: async () => {
      for (const abort of running) abort.abort();
      await worker.close(true);
    },
  };
}
