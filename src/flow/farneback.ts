/**
 * Farneback dense flow through OpenCV.js (`@techstark/opencv-js`): the fast option. The
 * module is a ~10 MB WebAssembly build, loaded lazily on first use and initialised once per
 * thread (`loadOpenCv` returns the same promise to every caller).
 */
import { createRequire } from 'node:module';
import { EngineError, InputError } from '../errors.ts';
import { grayToBytes } from './gray.ts';
import { checkFramePair } from './tvl1.ts';
import { removeListenersAddedAfterNow } from '../util/processListeners.ts';

export interface FarnebackOptions {
  /** Image scale between pyramid levels (< 1). */
  pyrScale: number;
  levels: number;
  winsize: number;
  iterations: number;
  /** Pixel neighbourhood of the polynomial expansion (5 or 7). */
  polyN: number;
  polySigma: number;
}

/** The parameters most code passes to cv.calcOpticalFlowFarneback. */
export const FARNEBACK_DEFAULTS: Readonly<FarnebackOptions> = Object.freeze({
  pyrScale: 0.5,
  levels: 3,
  winsize: 15,
  iterations: 3,
  polyN: 5,
  polySigma: 1.2,
});

/** The part of the OpenCV.js API used here. */
interface CvMat {
  data32F: Float32Array;
  data: Uint8Array;
  delete(): void;
}
interface OpenCv {
  Mat: new () => CvMat;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): CvMat;
  CV_8UC1: number;
  calcOpticalFlowFarneback(
    prev: CvMat,
    next: CvMat,
    flow: CvMat,
    pyrScale: number,
    levels: number,
    winsize: number,
    iterations: number,
    polyN: number,
    polySigma: number,
    flags: number,
  ): void;
  onRuntimeInitialized?: () => void;
}

/**
 * Held in a wrapper: the Emscripten module is a thenable, and resolving a promise with it makes
 * the promise adopt it, which loops forever on its own `then`. Once initialised, that `then`
 * is deleted so callers can pass the module through promises and async functions.
 */
let loading: Promise<{ cv: OpenCv }> | undefined;

/**
 * Loads OpenCV.js once per thread and resolves when its runtime is initialised. The
 * Emscripten build installs process-wide `uncaughtException` / `unhandledRejection` handlers
 * (the latter aborts the wasm runtime on any rejection anywhere); they are removed again.
 */
export async function loadOpenCv(): Promise<OpenCv> {
  loading ??= new Promise<{ cv: OpenCv }>((resolve, reject) => {
    const restoreListeners = removeListenersAddedAfterNow();
    let cv: OpenCv;
    try {
      const require = createRequire(import.meta.url);
      cv = require('@techstark/opencv-js') as OpenCv;
    } catch (error) {
      restoreListeners();
      reject(
        new EngineError(
          `farneback: expected @techstark/opencv-js to load, got ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      return;
    }
    restoreListeners();
    if (typeof cv.Mat === 'function') {
      delete (cv as { then?: unknown }).then;
      resolve({ cv });
      return;
    }
    const timer = setTimeout(
      () => reject(new EngineError('farneback: OpenCV.js runtime did not initialise within 60 s')),
      60_000,
    );
    const previous = cv.onRuntimeInitialized;
    cv.onRuntimeInitialized = () => {
      clearTimeout(timer);
      previous?.();
      restoreListeners();
      delete (cv as { then?: unknown }).then;
      resolve({ cv });
    };
  });
  return (await loading).cv;
}

function resolveOptions(options: Partial<FarnebackOptions>): FarnebackOptions {
  const merged = {
    ...FARNEBACK_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  if (!(merged.pyrScale > 0 && merged.pyrScale < 1))
    throw new InputError(`farneback: expected pyrScale in (0, 1), got ${merged.pyrScale}`);
  for (const key of ['levels', 'winsize', 'iterations'] as const) {
    if (!Number.isInteger(merged[key]) || merged[key] < 1) {
      throw new InputError(
        `farneback: expected ${key} to be a positive integer, got ${merged[key]}`,
      );
    }
  }
  if (merged.polyN !== 5 && merged.polyN !== 7)
    throw new InputError(`farneback: expected polyN 5 or 7, got ${merged.polyN}`);
  if (!(merged.polySigma > 0))
    throw new InputError(`farneback: expected polySigma > 0, got ${merged.polySigma}`);
  return merged;
}

/**
 * Farneback flow from `prev` to `next` (gray 0..255, [height, width]; rounded to 8 bits as
 * OpenCV requires); returns [height, width, 2] interleaved (u, v) in pixels.
 */
export async function farnebackFlow(
  prev: Float32Array,
  next: Float32Array,
  width: number,
  height: number,
  options: Partial<FarnebackOptions> = {},
): Promise<Float32Array> {
  checkFramePair(prev, next, width, height, 'farneback');
  const o = resolveOptions(options);
  const cv = await loadOpenCv();
  const prevMat = cv.matFromArray(height, width, cv.CV_8UC1, grayToBytes(prev));
  const nextMat = cv.matFromArray(height, width, cv.CV_8UC1, grayToBytes(next));
  const flowMat = new cv.Mat();
  try {
    cv.calcOpticalFlowFarneback(
      prevMat,
      nextMat,
      flowMat,
      o.pyrScale,
      o.levels,
      o.winsize,
      o.iterations,
      o.polyN,
      o.polySigma,
      0,
    );
    const flow = flowMat.data32F;
    if (flow.length !== width * height * 2) {
      throw new EngineError(
        `farneback: expected ${width * height * 2} flow values from OpenCV.js, got ${flow.length}`,
      );
    }
    return new Float32Array(flow); // copy out of the wasm heap before the Mat is freed
  } finally {
    prevMat.delete();
    nextMat.delete();
    flowMat.delete();
  }
}
