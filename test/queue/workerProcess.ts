/** Real `assemblenet worker` processes for the queue tests, with their log kept in memory. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../bin/assemblenet.mjs');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker wrote to stderr so far. */
  log(): string;
  /** Resolves once a log line matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a worker with short lock settings (a killed worker's job moves on within seconds). */
export async function startWorkerProcess(
  url: string,
  root: string,
  extra: string[] = [],
): Promise<WorkerProcess> {
  const child = spawn(
    'node',
    [
      CLI,
      'worker',
      '--queue',
      url,
      '--root',
      root,
      '--backend',
      'wasm',
      '--lock-duration',
      '4000',
      '--stalled-interval',
      '2000',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let text = '';
  const listeners = new Set<() => void>();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    text += chunk;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`worker log did not match ${pattern} in ${timeoutMs} ms:\n${text}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const worker = { child, log: () => text, waitFor, exited };
  await waitFor(/worker: taking/);
  return worker;
}

/** Stops a worker that is still running (SIGTERM), waiting for its exit. */
export async function stopWorkerProcess(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
}

/** The child processes of `pid` (Linux /proc), e.g. a worker's task processes. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
