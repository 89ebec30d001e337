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
