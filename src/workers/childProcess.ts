/**
 * Runs one task in a separate Node process (its own engine and wasm heap): for work that may
 * crash or exhaust memory, such as training an evolution candidate. The task module's default
 * export receives the request and returns the result; a throw, a crash or an exit without an
 * answer rejects with a WorkerTaskError naming `label`. The child exits when its parent goes.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeError } from '../errors.ts';
import { WorkerTaskError } from './pool.ts';

const ENTRY = fileURLToPath(new URL('./childProcessEntry.mjs', import.meta.url));

export interface ChildProcessOptions {
  signal?: AbortSignal;
  /** What the task is about, named in errors. */
  label?: string;
  /** Extra environment for the child (e.g. ASSEMBLENET_BACKEND). */
  env?: Record<string, string>;
  /** Called with each line the child writes to stderr (default: dropped). */
  onStderr?: (line: string) => void;
}

type ChildMessage = { ok: true; result: unknown } | { ok: false; error: string };

export function runInChildProcess<Request, Result>(
  taskModule: string | URL,
  request: Request,
  options: ChildProcessOptions = {},
): Promise<Result> {
  const label = options.label ?? 'task';
  const modulePath = typeof taskModule === 'string' ? taskModule : fileURLToPath(taskModule);
  return new Promise<Result>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new WorkerTaskError(`${label}: cancelled`));
      return;
    }
    const child = fork(ENTRY, [modulePath], {
      env: { ...process.env, ...options.env },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let settled = false;
    let stderrTail = '';
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(() => reject(new WorkerTaskError(`${label}: cancelled`)));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
      if (options.onStderr) for (const line of chunk.split('\n')) if (line) options.onStderr(line);
    });
    child.on('message', (message: ChildMessage) => {
      finish(() =>
        message.ok
          ? resolve(message.result as Result)
          : reject(new WorkerTaskError(`${label}: ${message.error}`)),
      );
      child.disconnect();
    });
    child.on('error', (error) =>
      finish(() => reject(new WorkerTaskError(`${label}: ${describeError(error)}`))),
    );
    child.on('exit', (code, signal) => {
      const tail = stderrTail.trim().split('\n').slice(-3).join(' | ');
      finish(() =>
        reject(
          new WorkerTaskError(
            `${label}: process ended without an answer (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}`,
          ),
        ),
      );
    });
    child.send({ request });
  });
}
