/**
 * The coordinator's side of the queue: enqueue jobs under deterministic ids and wait for their
 * results. One poll loop asks Redis for the state of every job still awaited, which also covers
 * a Redis restart: the connection retries until Redis is back, and a job that Redis no longer
 * knows (a restart without persistence) is enqueued again under the same id.
 *
 * Deterministic ids make a resumed coordinator pick up the jobs of the run it replaces: a job
 * that finished meanwhile is read back (not run again), one still waiting or running is awaited.
 * A job found failed from an earlier run is removed and enqueued afresh (a rerun means retry).
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { AssembleNetError, describeError } from '../../src/errors.ts';
import { QUEUE_NAME, parseQueueUrl, redactQueueUrl } from './connection.ts';
import type { JobKind } from './kinds.ts';

/** Attempts of a job before it is a failed record (a killed worker's stall does not count). */
export const DEFAULT_JOB_ATTEMPTS = 3;
const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;

/** A job that failed all its attempts, or was refused by a worker. */
export class QueueJobError extends AssembleNetError {
  constructor(message: string) {
    super(message, 'E_QUEUE_JOB');
  }
}

export interface CoordinatorOptions {
  url: string;
  attempts?: number;
  /** Delay before a failed attempt is retried, ms. Default 1000. */
  backoffMs?: number;
  /** Between two state checks of the awaited jobs, ms. Default 250. */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface JobSpec {
  kind: JobKind;
  id: string;
  payload: unknown;
}

interface Waiter {
  spec: JobSpec;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** `prefix-<12 hex of sha256(parts)>`: a BullMQ-safe job id (no ':', never an integer). */
export function jobIdFor(prefix: string, ...parts: unknown[]): string {
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return `${prefix}-${hash}`;
}

export class Coordinator {
  readonly queue: Queue;
  readonly #options: Required<Omit<CoordinatorOptions, 'log'>> & {
    log: (line: string) => void;
  };
  readonly #waiting = new Map<string, Waiter>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #lastError = '';
  #closed = false;

  constructor(options: CoordinatorOptions) {
    this.#options = {
      url: options.url,
      attempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
      backoffMs: options.backoffMs ?? 1000,
      pollMs: options.pollMs ?? 250,
      log: options.log ?? ((line: string) => process.stderr.write(`${line}\n`)),
    };
    this.queue = new Queue(QUEUE_NAME, { connection: parseQueueUrl(options.url) });
    this.queue.on('error', (error) => this.#noteError(error));
  }

  get url(): string {
    return redactQueueUrl(this.#options.url);
  }

  #noteError(error: unknown): void {
    const text = describeError(error);
    if (text !== this.#lastError) this.#options.log(`queue: ${text} (retrying ${this.url})`);
    this.#lastError = text;
  }

  #jobOptions(id: string) {
    return {
      jobId: id,
      attempts: this.#options.attempts,
      backoff: { type: 'fixed' as const, delay: this.#options.backoffMs },
      removeOnComplete: { age: KEEP_FINISHED_SECONDS },
      removeOnFail: { age: KEEP_FINISHED_SECONDS },
    };
  }

  /** Enqueues jobs (unless Redis already holds them) and resolves with each one's result. */
  async run<Result>(specs: JobSpec[]): Promise<Promise<Result>[]> {
    for (const spec of specs) {
      const state = await this.queue.getJobState(spec.id);
      if (state === 'failed') await this.queue.remove(spec.id);
    }
    for (let start = 0; start < specs.length; start += 500) {
      await this.queue.addBulk(
        specs.slice(start, start + 500).map((spec) => ({
          name: spec.kind,
          data: spec.payload,
          opts: this.#jobOptions(spec.id),
        })),
      );
    }
    const results = specs.map(
      (spec) =>
        new Promise<Result>((resolve, reject) => {
          this.#waiting.set(spec.id, {
            spec,
            resolve: resolve as (value: unknown) => void,
            reject,
          });
        }),
    );
    // close() rejects what is still awaited; callers that stopped listening must not crash the process
    for (const result of results) result.catch(() => undefined);
    this.#schedule();
    return results;
  }

  /** One job: enqueue and wait. */
  async runOne<Result>(spec: JobSpec): Promise<Result> {
    const [result] = await this.run<Result>([spec]);
    return result!;
  }

  /** Stops waiting for the job (the job itself stays in the queue). */
  forget(id: string, reason: Error): void {
    this.#waiting.get(id)?.reject(reason);
    this.#waiting.delete(id);
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#waiting.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll().finally(() => this.#schedule());
    }, this.#options.pollMs);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      for (const [id, waiter] of [...this.#waiting].slice(0, 256)) {
        const state = await this.queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const job = await this.queue.getJob(id);
          if (!job) continue; // removed in between: seen as unknown next time
          this.#waiting.delete(id);
          if (state === 'completed') waiter.resolve(job.returnvalue);
          else
            waiter.reject(
              new QueueJobError(
                `${waiter.spec.kind} job ${id} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`,
              ),
            );
        } else if (state === 'unknown') {
          this.#options.log(`queue: job ${id} is gone from Redis (restarted?): enqueued again`);
          await this.queue.add(waiter.spec.kind, waiter.spec.payload, this.#jobOptions(id));
        }
      }
      if (this.#lastError) this.#options.log(`queue: connected again to ${this.url}`);
      this.#lastError = '';
    } catch (error) {
      this.#noteError(error);
    } finally {
      this.#polling = false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const [id, waiter] of this.#waiting)
      waiter.reject(new QueueJobError(`queue: stopped waiting for job ${id}`));
    this.#waiting.clear();
    await this.queue.close();
  }
}
