import { createRequire } from 'node:module';
import { tf } from './tf.ts';
import { EngineError, describeError } from '../errors.ts';
import { installWasmKernels } from './kernels/index.ts';
import { loadNativeAddon } from './native/addon.ts';
import { installEngineGradients } from './gradients/index.ts';
import { muteCpuBackendBanner } from './quietCpuBackend.ts';
import { resolveThreads, startWasmWithThreads } from './threads.ts';
import { removeListenersAddedAfterNow } from '../util/processListeners.ts';

/** Backends in the order `auto` tries them. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/** Environment variable that sets the default of `--backend`. */
export const BACKEND_ENV = 'ASSEMBLENET_BACKEND';

export interface BackendReport {
  /** What was asked for (`auto` or a name). */
  requested: BackendChoice;
  /** The backend now active. */
  chosen: BackendName;
  /** Why each backend tried before `chosen` was skipped. */
  skipped: { backend: BackendName; reason: string }[];
  /** Threads the engine computes with: wasm's, or the native convolutions' when they are in use. */
  threads: number;
  /** wasm's own threads (1 with the native kernels, which take the engine's threads instead). */
  wasmThreads: number;
  /** Kernels the project installed over the backend's own. */
  kernelOverrides: string[];
  /** wasm: who runs the convolutions ("oneDNN, N threads", or why not the native kernels). */
  nativeConv?: string;
}

const require = createRequire(import.meta.url);

/** npm package that provides each native backend. */
const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let current: BackendReport | undefined;

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = (value ?? 'auto').trim();
  if (choice === 'auto' || (BACKEND_NAMES as readonly string[]).includes(choice)) {
    return choice as BackendChoice;
  }
  throw new EngineError(
    `engine: expected backend auto|${BACKEND_NAMES.join('|')}, got "${choice}"`,
  );
}

/** Starts a backend; returns its thread count (wasm: as many as `threads` asks; others: 1). */
async function tryBackend(name: BackendName, threads: number): Promise<number> {
  const pkg = NATIVE_PACKAGES[name];
  if (pkg) {
    try {
      // The native packages register the "tensorflow" backend when loaded.
      require(pkg);
    } catch (error) {
      throw new EngineError(`${pkg} is not installed or failed to load: ${firstLine(error)}`);
    }
    if (name === 'tensorflow-gpu' && !hasCuda()) {
      throw new EngineError(`${pkg} loaded but no CUDA device is visible`);
    }
    if (!(await tf.setBackend('tensorflow'))) {
      throw new EngineError(`${pkg} loaded but its backend did not initialise`);
    }
    return 1;
  }
  // wasm's Emscripten runtime adds rethrowing process handlers when it initialises
  const restoreListeners = removeListenersAddedAfterNow();
  try {
    if (name === 'wasm' && threads > 1) return await startWasmWithThreads(threads);
    if (!(await tf.setBackend(name))) {
      throw new EngineError(`the ${name} backend did not initialise`);
    }
    return 1;
  } finally {
    restoreListeners();
  }
}

function hasCuda(): boolean {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible === '' || visible === '-1')) return false;
  try {
    require('node:fs').accessSync('/dev/nvidiactl');
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  return describeError(error).split('\n')[0] ?? '';
}

/**
 * Activates a backend. `auto` takes the first of tensorflow-gpu, tensorflow, wasm, cpu that
 * loads, and the report says why the others were skipped. On wasm the project's kernels are
 * installed (see `src/engine/kernels`). The engine uses `options.threads` threads (else
 * ASSEMBLENET_THREADS, else the free cores, 1 inside a process pool; see ./threads.ts): wasm's
 * own when the native kernels are absent, else the native convolutions' (wasm then runs 1).
 * The count is fixed when wasm first initialises in the process.
 */
export async function selectBackend(
  requested: BackendChoice = parseBackendChoice(process.env[BACKEND_ENV]),
  options: { threads?: number } = {},
): Promise<BackendReport> {
  if (current && (requested === current.requested || requested === current.chosen)) return current;
  const candidates: readonly BackendName[] = requested === 'auto' ? BACKEND_NAMES : [requested];
  const skipped: BackendReport['skipped'] = [];
  const engineThreads = resolveThreads(options.threads);
  // With the native kernels the convolutions (most of a step) run on oneDNN's threads; wasm's own
  // pthreads would only compete with them for the cores (see docs/benchmarks.md, "Threads").
  const wasmThreads = loadNativeAddon().addon ? 1 : engineThreads;
  for (const name of candidates) {
    let threads: number;
    try {
      threads = await tryBackend(name, name === 'wasm' ? wasmThreads : 1);
    } catch (error) {
      skipped.push({ backend: name, reason: firstLine(error) });
      continue;
    }
    await tf.ready();
    muteCpuBackendBanner();
    installEngineGradients();
    const kernels = name === 'wasm' ? installWasmKernels(engineThreads) : undefined;
    current = {
      requested,
      chosen: name,
      skipped,
      threads: kernels?.nativeConvActive ? engineThreads : threads,
      wasmThreads: name === 'wasm' ? threads : 1,
      kernelOverrides: kernels?.kernels ?? [],
      ...(kernels ? { nativeConv: kernels.nativeConv } : {}),
    };
    return current;
  }
  throw new EngineError(
    `engine: no backend could be started (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})`,
  );
}

/** The report of the last `selectBackend`, if any. */
export function backendReport(): BackendReport | undefined {
  return current;
}
