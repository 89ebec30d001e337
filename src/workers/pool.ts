import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import {
  AssembleNetError,
  EngineError,
  InputError,
  ToolError,
  VideoError,
  describeError,
} from '../errors.ts';
import type { SerializedError, TaskEnvelope } from './taskHost.ts';

/** A task failed inside a worker, or its worker died while running it. */
export class WorkerTaskError extends AssembleNetError {
  constructor(message: string, where?: string) {
    super(message, 'E_WORKER', where);
  }
}

export interface WorkerPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  workers?: number;
  /**
   * The task module (a TypeScript or JavaScript file, path or file: URL) whose default export
   * handles one task inside a worker. It is imported once per worker thread, at startup.
   */
  taskModule: string | URL;
  /** Milliseconds an idle worker lives before it exits (default: kept for the pool's life). */
  idleTimeoutMs?: number;
}

export interface RunTaskOptions {
  /** Aborting removes a queued task, or terminates the worker running it (a new one replaces it). */
  signal?: AbortSignal;
  /** Buffers of the task moved (not copied) to the worker; detached here afterwards. */
  transfer?: readonly ArrayBuffer[];
  /** What the task is about (a video path), named in errors. */
  label?: string;
}

const ENTRY = fileURLToPath(new URL('./tsWorkerEntry.mjs', import.meta.url));

/** Default pool size: the cores this process may use. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * A piscina pool whose tasks are TypeScript modules (run through tsx inside each worker).
 * One failing task (a throw, a bad video, a worker that exits) rejects only its own promise
 * with a typed error naming `label`; the pool replaces dead workers and goes on.
 */
export class WorkerPool<Task, Result> {
  readonly size: number;
  readonly #piscina: Piscina;

  constructor(options: WorkerPoolOptions) {
    const workers = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(workers) || workers < 1) {
      throw new InputError(`worker pool: expected a positive integer worker count, got ${workers}`);
    }
    this.size = workers;
    const taskModule =
      options.taskModule instanceof URL || /^file:/.test(options.taskModule)
        ? String(options.taskModule)
        : pathToFileURL(options.taskModule).href;
    this.#piscina = new Piscina({
      filename: ENTRY,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: options.idleTimeoutMs ?? Number.POSITIVE_INFINITY,
      workerData: { taskModule },
    });
    // Worker deaths also surface as 'error' events; each is already reported through its task.
    this.#piscina.on('error', () => {});
  }

  /** Runs one task; resolves with its result, rejects with a typed error naming `label`. */
  async run(task: Task, options: RunTaskOptions = {}): Promise<Result> {
    const label = options.label ?? 'task';
    let envelope: TaskEnvelope<Result>;
    try {
      envelope = (await this.#piscina.run(task, {
        signal: options.signal ?? null,
        transferList: options.transfer ? [...options.transfer] : undefined,
      })) as TaskEnvelope<Result>;
    } catch (error) {
      if (isAbortError(error) || options.signal?.aborted) throw abortError(label, options.signal);
      // Not an envelope: the worker itself failed (exited, out of memory, failed to load).
      throw new WorkerTaskError(
        `worker: ${label}: the worker failed or exited while running this task (${describeError(error)})`,
      );
    }
    if (envelope.ok) return envelope.value;
    throw rebuildError(envelope.error, label);
  }

  /** Tasks waiting for a free worker. */
  get queued(): number {
    return this.#piscina.queueSize;
  }

  /** Waits for running and queued tasks, then stops the workers. */
  async close(): Promise<void> {
    await this.#piscina.close();
  }

  /** Stops the workers now; pending tasks reject. */
  async destroy(): Promise<void> {
    await this.#piscina.destroy();
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function abortError(label: string, signal: AbortSignal | undefined): Error {
  const error = new Error(
    `worker: ${label}: aborted${signal?.reason ? ` (${describeError(signal.reason)})` : ''}`,
  );
  error.name = 'AbortError';
  return error;
}

const ERROR_KINDS: Record<string, new (message: string) => AssembleNetError> = {
  E_INPUT: InputError,
  E_VIDEO: VideoError,
  E_ENGINE: EngineError,
  E_TOOL: ToolError,
};

function rebuildError(serialized: SerializedError, label: string): AssembleNetError {
  const Kind = (serialized.code && ERROR_KINDS[serialized.code]) || WorkerTaskError;
  const message = serialized.message.includes(label)
    ? serialized.message
    : `${label}: ${serialized.message}`;
  const error = new Kind(message);
  if (serialized.stack) error.stack = `${error.name}: ${message}\n    [worker] ${serialized.stack}`;
  return error;
}
