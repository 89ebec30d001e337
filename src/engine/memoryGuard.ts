/**
 * A guard for the wasm heap. The wasm backend keeps every tensor in one 32-bit WebAssembly
 * memory: it stops near 4 GiB and never shrinks, and above ~3.6 GiB allocations were seen to
 * fail silently, leaving tensors that overlap (wrong numbers, no error). So the project checks
 * the planned working set BEFORE building it and fails with an EngineError that says what to
 * lower, instead of computing garbage.
 *
 * The limit (default 3.5 GiB) comes from `setHeapLimit`, else the environment variable
 * ASSEMBLENET_WASM_HEAP_LIMIT (bytes, or a number with KiB/MiB/GiB), else the default. Other
 * backends keep tensors outside that heap and are not guarded (`guarded: false`).
 */
import { tf } from './tf.ts';
import { EngineError } from '../errors.ts';

const GiB = 2 ** 30;

/** The hard end of a 32-bit wasm memory. */
export const WASM_HEAP_CEILING_BYTES = 4 * GiB;
/** Default limit: below the ~3.6 GiB where allocations were seen to fail silently. */
export const DEFAULT_WASM_HEAP_LIMIT_BYTES = 3.5 * GiB;
/** Environment variable overriding the limit. */
export const WASM_HEAP_LIMIT_ENV = 'ASSEMBLENET_WASM_HEAP_LIMIT';

/** What to do about it, appended to every guard error. */
const ADVICE = 'lower --batch/--frames/--size or use --backend tensorflow';

export interface MemoryStatus {
  /** Active backend name. */
  backend: string;
  /** True when the backend's tensors live in the wasm heap this module guards. */
  guarded: boolean;
  /** Bytes held by live tensors (tf.memory().numBytes). */
  liveBytes: number;
  /** Current size of the wasm heap (it never shrinks); null off wasm. */
  heapBytes: number | null;
  /** The limit checks compare against. */
  limitBytes: number;
}

let limitOverride: number | undefined;

/** Sets the heap limit for this process; `undefined` returns to the env/default limit. */
export function setHeapLimit(bytes: number | undefined): void {
  if (
    bytes !== undefined &&
    !(Number.isFinite(bytes) && bytes > 0 && bytes <= WASM_HEAP_CEILING_BYTES)
  ) {
    throw new EngineError(`engine: expected a heap limit in (0, 4 GiB], got ${bytes}`);
  }
  limitOverride = bytes;
}

/** The limit in effect: `setHeapLimit`, else ASSEMBLENET_WASM_HEAP_LIMIT, else 3.5 GiB. */
export function heapLimitBytes(): number {
  if (limitOverride !== undefined) return limitOverride;
  const fromEnv = process.env[WASM_HEAP_LIMIT_ENV];
  if (fromEnv === undefined || fromEnv.trim() === '') return DEFAULT_WASM_HEAP_LIMIT_BYTES;
  return parseByteSize(fromEnv, WASM_HEAP_LIMIT_ENV);
}

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: GiB };

/** Parses "3758096384", "3.5GiB", "512 MiB". */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'none'];
  if (!match || unit === undefined) {
    throw new EngineError(
      `engine: expected ${what} as bytes or a number with KiB/MiB/GiB, got "${text}"`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

/** "3.9 GiB", "512.0 MiB", "12 B". */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** The wasm module behind the active backend, when it is wasm. */
interface WasmBackendInternals {
  wasm?: { HEAPU8?: Uint8Array };
}

/** Live tensor bytes and, on wasm, the heap size. */
export function memoryStatus(): MemoryStatus {
  const backend = tf.getBackend();
  const liveBytes = tf.memory().numBytes;
  let heapBytes: number | null = null;
  if (backend === 'wasm') {
    // tfjs-backend-wasm keeps the Emscripten module on `backend.wasm`; HEAPU8 views its memory
    const internals = tf.backend() as unknown as WasmBackendInternals;
    heapBytes = internals.wasm?.HEAPU8?.buffer.byteLength ?? null;
  }
  return {
    backend,
    guarded: backend === 'wasm',
    liveBytes,
    heapBytes,
    limitBytes: heapLimitBytes(),
  };
}

/**
 * Checks that live tensors plus `plannedBytes` stay under the limit; throws an EngineError
 * naming `label` (what is about to be built) otherwise. With the default `plannedBytes` of 0 it
 * checks that the heap has not already passed the limit (results after that may be corrupt).
 */
export function checkMemory(plannedBytes = 0, label = 'the next step'): MemoryStatus {
  if (!(Number.isFinite(plannedBytes) && plannedBytes >= 0)) {
    throw new EngineError(`engine: expected planned bytes >= 0, got ${plannedBytes}`);
  }
  const status = memoryStatus();
  if (!status.guarded) return status;
  const needed = status.liveBytes + plannedBytes;
  const projected = Math.max(needed, status.heapBytes ?? 0);
  if (projected > status.limitBytes) {
    const grown = status.heapBytes !== null && status.heapBytes > status.limitBytes;
    const what = grown
      ? `the wasm heap has already grown to ${formatBytes(status.heapBytes!)} (limit ${formatBytes(status.limitBytes)}) before ${label}`
      : `the wasm heap would grow to ${formatBytes(projected)} (limit ${formatBytes(status.limitBytes)}) while building ${label}`;
    throw new EngineError(
      `engine: ${what}; ${ADVICE} ` +
        `(live tensors ${formatBytes(status.liveBytes)} + planned ${formatBytes(plannedBytes)}, ` +
        `heap now ${formatBytes(status.heapBytes ?? 0)}, it never shrinks and stops near 4 GiB)`,
    );
  }
  return status;
}

export interface ActivationEstimateOptions {
  /** Bytes per element: 4 for float32/int32 (default), 1 for bool/uint8. */
  bytesPerElement?: number;
  /**
   * Copies alive at once. 1 for inference; about 3 for a training step (the forward
   * activations kept for the backward pass, their gradients, one temporary).
   */
  copies?: number;
}

/** Bytes of the given tensor shapes, e.g. `[[B*T, H, W, C], ...]`, times `copies`. */
export function estimateActivationBytes(
  shapes: readonly (readonly number[])[],
  options: ActivationEstimateOptions = {},
): number {
  const { bytesPerElement = 4, copies = 1 } = options;
  let elements = 0;
  for (const shape of shapes) {
    let size = 1;
    for (const dim of shape) {
      if (!(Number.isInteger(dim) && dim >= 0)) {
        throw new EngineError(
          `engine: expected non-negative integer dimensions, got [${shape.join(', ')}]`,
        );
      }
      size *= dim;
    }
    elements += size;
  }
  return elements * bytesPerElement * copies;
}

/** `checkMemory` for a planned set of tensor shapes: throws before building `label`. */
export function assertWorkingSet(
  label: string,
  shapes: readonly (readonly number[])[],
  options: ActivationEstimateOptions = {},
): MemoryStatus {
  return checkMemory(estimateActivationBytes(shapes, options), label);
}

/** Bytes of one training step as a function of the batch: fixed + batch x perExample. */
export interface StepBytes {
  fixedBytes: number;
  bytesPerExample: number;
}

/**
 * Measures the working set of a training step (forward with training on, the tensors the
 * backward pass keeps, the gradients) with `tf.profile` at batch 1 and 2, on a network the
 * caller builds for this probe only (a training forward moves batch-norm statistics).
 * `exampleShapes`: stream -> the per-example input shape [frames, H, W, C].
 */
export async function profileTrainingStep(
  apply: (inputs: Record<string, tf.Tensor4D>, training: boolean) => tf.Tensor,
  variables: readonly tf.Variable[],
  exampleShapes: Readonly<Record<string, readonly [number, number, number, number]>>,
): Promise<StepBytes> {
  const peakAt = async (batch: number): Promise<number> => {
    const inputs = Object.fromEntries(
      Object.entries(exampleShapes).map(([stream, [frames, h, w, c]]) => [
        stream,
        tf.zeros([batch * frames, h, w, c]) as tf.Tensor4D,
      ]),
    );
    try {
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(apply(inputs, true)) as tf.Scalar,
          variables as tf.Variable[],
        );
        tf.dispose([value, ...Object.values(grads)]);
      });
      return info.peakBytes;
    } finally {
      tf.dispose(Object.values(inputs));
    }
  };
  const one = await peakAt(1);
  const two = await peakAt(2);
  const bytesPerExample = Math.max(two - one, 0);
  return { fixedBytes: Math.max(one - bytesPerExample, 0), bytesPerExample };
}

export interface BatchPlan {
  requested: number;
  /** The largest batch <= requested whose step fits (0: not even `minBatch` fits). */
  batch: number;
  /** The step's planned bytes at `batch` (at `requested` when nothing fits). */
  plannedBytes: number;
  limitBytes: number;
  /** False off wasm: the heap limit does not apply and `batch` is the requested one. */
  guarded: boolean;
  /** Why the batch was lowered or nothing fits; undefined when the requested batch fits. */
  message?: string;
}

/**
 * The batch a training step can use under the heap limit (`heapLimitBytes`), from its measured
 * `StepBytes`: the requested batch when it fits, else the largest smaller one down to
 * `minBatch` (default 1), else 0, with a message that says what to lower.
 */
export function planBatchForHeap(
  step: StepBytes,
  requested: number,
  options: { minBatch?: number; label?: string } = {},
): BatchPlan {
  const label = options.label ?? 'the training step';
  const minBatch = options.minBatch ?? 1;
  const limitBytes = heapLimitBytes();
  const bytesAt = (batch: number) => step.fixedBytes + batch * step.bytesPerExample;
  const guarded = tf.getBackend() === 'wasm';
  if (!guarded || bytesAt(requested) <= limitBytes)
    return { requested, batch: requested, plannedBytes: bytesAt(requested), limitBytes, guarded };
  const fits = Math.floor((limitBytes - step.fixedBytes) / Math.max(step.bytesPerExample, 1));
  const batch = Math.min(requested - 1, fits) >= minBatch ? Math.min(requested - 1, fits) : 0;
  const need = `${label} at batch ${requested} needs ${formatBytes(bytesAt(requested))} of wasm heap (${formatBytes(step.bytesPerExample)} per example + ${formatBytes(step.fixedBytes)}), over the ${formatBytes(limitBytes)} limit`;
  return {
    requested,
    batch,
    plannedBytes: bytesAt(batch > 0 ? batch : requested),
    limitBytes,
    guarded,
    message:
      batch > 0
        ? `${need}; batch ${batch} fits (${formatBytes(bytesAt(batch))})`
        : `${need}; not even batch ${minBatch} fits (${formatBytes(bytesAt(minBatch))}): ${ADVICE}`,
  };
}
