/**
 * The optional native kernels (native/kernels.cc, built by pipelines/scripts/build-native.mjs
 * into dist/native/): NHWC conv2d and both of its gradients on oneDNN (the convolution code
 * PyTorch runs on this CPU), and the batch-norm loops, in place on Float32Arrays the caller owns.
 * Absent (no compiler or libdnnl-dev at install) or disabled with ASSEMBLENET_NATIVE=off, the
 * engine keeps its wasm and JavaScript kernels; `loadNativeAddon` says why.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../errors.ts';

/** Environment variable: `off` (or 0/false) keeps the wasm kernels even when the addon is built. */
export const NATIVE_ENV = 'ASSEMBLENET_NATIVE';

export const NATIVE_ADDON_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'dist',
  'native',
  'kernels.node',
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

export interface NativeAddon {
  conv(
    kind: ConvKind,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    geometry: Int32Array,
  ): void;
  /**
   * The batch-norm loops of ../kernels/BatchNormTraining.ts (bitwise the same results):
   * 0 sums, 1 affine (+ReLU), 2 gradient sums, 3 input gradient. Tensors [..., C] as
   * Float32Array, per-channel values as Float64Array [C]; `y` null means no ReLU.
   */
  bn(op: 0, x: Float32Array, sum: Float64Array, squares: Float64Array): void;
  bn(
    op: 1,
    x: Float32Array,
    y: Float32Array,
    scale: Float64Array,
    shift: Float64Array,
    relu: boolean,
  ): void;
  bn(
    op: 2,
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array | null,
    sumG: Float64Array,
    sumGX: Float64Array,
  ): void;
  bn(
    op: 3,
    dy: Float32Array,
    x: Float32Array,
    y: Float32Array | null,
    dx: Float32Array,
    a: Float64Array,
    k: Float64Array,
    d: Float64Array,
  ): void;
  /**
   * The max-pool gradient of ../kernels/MaxPoolGrad.ts (bitwise the same): x, dx [N,H,W,C];
   * y (forward output), dy [N,Ho,Wo,C]; geometry N,H,W,C,Ho,Wo,sh,sw,fh,fw,top,left.
   */
  maxPoolGrad(
    x: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
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

export type NativeLoad =
  | { addon: NativeAddon; reason?: undefined }
  | { addon?: undefined; reason: string };

let loaded: NativeLoad | undefined;

export function nativeDisabled(value = process.env[NATIVE_ENV]): boolean {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim().toLowerCase();
  if (['off', '0', 'false', 'no'].includes(v)) return true;
  if (['on', '1', 'true', 'yes'].includes(v)) return false;
  throw new EngineError(`engine: expected ${NATIVE_ENV} to be on or off, got "${value}"`);
}

/** The addon, loaded once per process, or why it is not used. */
export function loadNativeAddon(): NativeLoad {
  if (loaded) return loaded;
  if (nativeDisabled()) {
    loaded = { reason: `${NATIVE_ENV}=${process.env[NATIVE_ENV]}` };
  } else if (!existsSync(NATIVE_ADDON_PATH)) {
    loaded = { reason: `not built (${NATIVE_ADDON_PATH}; npm run build with g++ and libdnnl-dev)` };
  } else {
    try {
      loaded = { addon: createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon };
    } catch (error) {
      loaded = { reason: `failed to load: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}
