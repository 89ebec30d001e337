import { WorkerPool, type RunTaskOptions } from './pool.ts';
import type { ClipRequest, ClipResult } from './clipSpec.ts';

const CLIP_TASK = new URL('./clipTask.ts', import.meta.url);

export interface ClipPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  workers?: number;
}

/**
 * The clip pool: each worker decodes a clip's frames, computes its flow and keeps the cache.
 * `run` resolves with the clip's arrays moved (not copied) into this thread, or rejects with an
 * error naming the video; other clips are unaffected.
 */
export class ClipPool {
  readonly #pool: WorkerPool<ClipRequest, ClipResult>;

  constructor(options: ClipPoolOptions = {}) {
    this.#pool = new WorkerPool<ClipRequest, ClipResult>({
      workers: options.workers,
      taskModule: CLIP_TASK,
    });
  }

  get size(): number {
    return this.#pool.size;
  }

  run(request: ClipRequest, options: Pick<RunTaskOptions, 'signal'> = {}): Promise<ClipResult> {
    return this.#pool.run(request, { signal: options.signal, label: request.video });
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  destroy(): Promise<void> {
    return this.#pool.destroy();
  }
}
