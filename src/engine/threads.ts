/**
 * Multi-threaded wasm in Node. tfjs-backend-wasm 4.22 turns threads off in Node and, if forced on,
 * cannot start them there: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is false under Node; the
 * Emscripten pthread worker is handed over as a Blob URL and the main script as a Blob, which
 * Node's `worker_threads` cannot load. What this module does, before the backend initialises:
 *   1. writes the pthread worker to a file (the stock worker code, preceded by two lines that
 *      make its Blob-URL path load the package's own threaded-simd glue file instead);
 *   2. while the backend initialises, `URL.createObjectURL` returns that file for the worker
 *      Blob (everything else passes through), so Emscripten starts its workers from a file;
 *   3. sets the multithread flag and the thread count (`setThreadsCount`);
 * and after it: unrefs the pthread workers, which otherwise keep the process alive forever.
 *
 * Thread count: `--threads N` or ASSEMBLENET_THREADS; default the cores that are free (cores
 * minus the rounded 1-minute load average, at least 1), and 1 inside a process the project's
 * pools started (a forked child with an IPC channel, or a worker thread), where the pool already
 * spreads work over the cores.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, type Worker, type WorkerOptions } from 'node:worker_threads';
import { tf } from './tf.ts';
import { EngineError } from '../errors.ts';

/** Environment variable with the wasm thread count (same meaning as `--threads`). */
export const THREADS_ENV = 'ASSEMBLENET_THREADS';

const require = createRequire(import.meta.url);

export function parseThreads(value: string | undefined, origin = THREADS_ENV): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new EngineError(`engine: expected ${origin} to be an integer 1..64, got "${value}"`);
  }
  return threads;
}

/** True in a process one of the project's pools started (see the module comment). */
export function insideProcessPool(): boolean {
  return !isMainThread || typeof process.send === 'function';
}

/** The default thread count: free cores, or 1 inside a pool. */
export function defaultThreads(): number {
  if (insideProcessPool()) return 1;
  const cores = availableParallelism();
  return Math.max(1, Math.min(cores, cores - Math.round(loadavg()[0] ?? 0)));
}

/** Threads asked for: `requested`, else ASSEMBLENET_THREADS, else the default. */
export function resolveThreads(requested?: number): number {
  return requested ?? parseThreads(process.env[THREADS_ENV]) ?? defaultThreads();
}

interface EmscriptenWorker {
  unref(): void;
}
interface PThreadRegistry {
  runningWorkers: EmscriptenWorker[];
  unusedWorkers: EmscriptenWorker[];
}

/** The pthread worker file for this tfjs-backend-wasm version (written once per version). */
function workerFile(): string {
  const wasmOut = (name: string) =>
    require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${name}`);
  const glue = wasmOut('tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(wasmOut('tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const version = (
    JSON.parse(
      readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  // The worker turns the main-script Blob into a URL and loads it with importScripts (a file
  // read in Node): hand it the package's glue file, the same code the Blob holds.
  const prelude = [
    `URL.createObjectURL = () => ${JSON.stringify(glue)};`,
    'URL.revokeObjectURL = () => {};',
  ].join('\n');
  const dir = join(tmpdir(), 'assemblenet-wasm');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `tfjs-backend-wasm-${version}-threaded-simd.worker.js`);
  // As tfjs does before making its Blob: the code holds '\n' escapes that must stay escapes.
  const contents = `${prelude}\n${wasmWorkerContents.replace(/\n/g, '\\n')}`;
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing !== contents) {
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, contents);
    require('node:fs').renameSync(temporary, file);
  }
  return file;
}

/**
 * Initialises the wasm backend with `threads` threads (call instead of `tf.setBackend('wasm')`,
 * before anything initialised wasm). Returns the thread count the backend reports.
 */
export async function startWasmWithThreads(threads: number): Promise<number> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as {
    setThreadsCount(count: number): void;
    getThreadsCount(): number;
  };
  const file = workerFile();
  const original = URL.createObjectURL;
  URL.createObjectURL = (object) =>
    object instanceof Blob && object.type === 'application/javascript'
      ? file
      : original.call(URL, object);
  // The backend caps its thread pool at half the logical cores, which Emscripten's glue reads
  // from os.cpus() in Node: report twice the threads asked for while the pool is created.
  const os = require('node:os') as { cpus: () => unknown[] };
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus.call(os);
    return real.length >= 2 * threads
      ? real
      : Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  // The workers run plain JavaScript: start them without the parent's Node flags (a loader
  // or --input-type would apply to the worker file too and break it).
  const threadsModule = require('node:worker_threads') as { Worker: typeof Worker };
  const NodeWorker = threadsModule.Worker;
  threadsModule.Worker = class extends NodeWorker {
    constructor(file: string | URL, options: WorkerOptions = {}) {
      super(file, { ...options, execArgv: [] });
    }
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    URL.createObjectURL = original;
    os.cpus = cpus;
    threadsModule.Worker = NodeWorker;
  }
  if (!ok) throw new EngineError(`the wasm backend did not initialise with ${threads} threads`);
  await tf.ready();
  unrefWorkers();
  return wasm.getThreadsCount();
}

/** Lets the process exit while pthread workers exist (they wait for work forever). */
export function unrefWorkers(): void {
  const module = (tf.backend() as unknown as { wasm?: { PThread?: PThreadRegistry } }).wasm;
  const registry = module?.PThread;
  if (!registry) return;
  for (const worker of [...registry.runningWorkers, ...registry.unusedWorkers]) worker.unref();
}
