/**
 * The optional native convolution kernels (native/dnnl_conv.cc on oneDNN, built by
 * pipelines/scripts/build-native.mjs into dist/native/). They compute NHWC conv2d and both of its
 * gradients in place on Float32Arrays the caller owns, with the convolution code PyTorch runs on
 * this CPU. Absent (no compiler or libdnnl-dev at install) or disabled with ASSEMBLENET_NATIVE=off,
 * the engine keeps its wasm kernels; `loadDnnl` says why.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../errors.ts';

/** Environment variable: `off` (or 0/false) keeps the wasm kernels even when the addon is built. */
export const NATIVE_ENV = 'ASSEMBLENET_NATIVE';

export const DNNL_ADDON_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'dist',
  'native',
  'dnnl_conv.node',
);

/** What `conv` computes: forward (a = x, b = filter), input gradient (a = dy, b = filter),
 * filter gradient (a = x, b = dy). */
export const ConvKind = { Forward: 0, InputGrad: 1, FilterGrad: 2 } as const;
export type ConvKind = (typeof ConvKind)[keyof typeof ConvKind];

/** Geometry as the addon reads it (17 int32). */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface DnnlAddon {
  conv(
    kind: ConvKind,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    geometry: Int32Array,
  ): void;
  setThreads(threads: number): void;
  /** oneDNN's implementation name for each primitive built so far, keyed by kind and geometry. */
  implementations(): Record<string, string>;
}

export function packGeometry(g: ConvGeometry): Int32Array {
  return Int32Array.from([
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.outHeight,
    g.outWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.top,
    g.left,
    g.bottom,
    g.right,
  ]);
}

export type DnnlLoad =
  | { addon: DnnlAddon; reason?: undefined }
  | { addon?: undefined; reason: string };

let loaded: DnnlLoad | undefined;

export function nativeDisabled(value = process.env[NATIVE_ENV]): boolean {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim().toLowerCase();
  if (['off', '0', 'false', 'no'].includes(v)) return true;
  if (['on', '1', 'true', 'yes'].includes(v)) return false;
  throw new EngineError(`engine: expected ${NATIVE_ENV} to be on or off, got "${value}"`);
}

/** The addon, loaded once per process, or why it is not used. */
export function loadDnnl(): DnnlLoad {
  if (loaded) return loaded;
  if (nativeDisabled()) {
    loaded = { reason: `${NATIVE_ENV}=${process.env[NATIVE_ENV]}` };
  } else if (!existsSync(DNNL_ADDON_PATH)) {
    loaded = { reason: `not built (${DNNL_ADDON_PATH}; npm run build with g++ and libdnnl-dev)` };
  } else {
    try {
      loaded = { addon: createRequire(import.meta.url)(DNNL_ADDON_PATH) as DnnlAddon };
    } catch (error) {
      loaded = { reason: `failed to load: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}
