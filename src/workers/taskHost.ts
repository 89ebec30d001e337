import { AssembleNetError } from '../errors.ts';
import { isTransferEnvelope, piscinaMovable } from './transfer.ts';

/**
 * What crosses the thread boundary for one task. Errors travel as data because structured
 * clone drops custom error classes and their `code`; the pool rebuilds the typed error.
 */
export type TaskEnvelope<R> = { ok: true; value: R } | { ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

export type TaskHandler<T, R> = (task: T) => R | Promise<R>;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AssembleNetError) {
    return { name: error.name, code: error.code, message: error.message, stack: error.stack };
  }
  if (error instanceof Error)
    return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** Wraps a task module's handler (inside the worker) so results move and errors keep their kind. */
export function hostTask<T, R>(handler: TaskHandler<T, R>): (task: T) => Promise<unknown> {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `worker: expected the task module to export a default function, got ${typeof handler}`,
    );
  }
  return async (task: T) => {
    try {
      const result = await handler(task);
      if (isTransferEnvelope(result)) {
        return piscinaMovable({ ok: true, value: result.value }, result.buffers);
      }
      return { ok: true, value: result };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  };
}
