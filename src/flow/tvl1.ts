/**
 * TV-L1 optical flow: the duality-based scheme of Zach, Pock and Bischof (2007) in the
 * formulation of Sanchez, Meinhardt-Llopis and Facciolo ("TV-L1 Optical Flow Estimation",
 * IPOL 2013) as OpenCV's `optflow::DualTVL1OpticalFlow` runs it:
 *
 *   pyramid (bilinear, factor scaleStep, levels >= 16 px) -> coarse to fine:
 *     per warp: warp I1 and its gradient by u -> linearised data term (rho)
 *       per outer iteration: median-filter u
 *         per inner iteration: v = threshold(u) -> u = v + theta div p -> p = dual step
 *       (stop when the summed squared update of u falls below epsilon^2 * pixels)
 *     upsample u to the next finer level and scale it by 1/scaleStep
 *
 * Intensities are on the 0..255 scale (OpenCV multiplies float input by 255), which the
 * default lambda is tuned for. Buffers are allocated once per image size and reused.
 */
import { InputError } from '../errors.ts';
import { MedianFilter } from './median.ts';
import { Tvl1IterationKernel } from './tvl1Kernel.ts';
import {
  centeredGradient,
  resizeBilinear,
  warpWithGradients,
  type Interpolation,
} from './resample.ts';

export interface Tvl1Options {
  /** Time step of the dual update. */
  tau: number;
  /** Data-term weight: smaller gives smoother flow. */
  lambda: number;
  /** Coupling between u and v. */
  theta: number;
  /** Pyramid levels (fewer when a level would drop below 16 px). */
  nscales: number;
  /** Warps per pyramid level. */
  warps: number;
  /** Stopping threshold on the root-mean-square update of u. */
  epsilon: number;
  innerIterations: number;
  outerIterations: number;
  /** Size ratio between consecutive pyramid levels, in (0, 1). */
  scaleStep: number;
  /** Median filter size applied to u between outer iterations: 0/1 (off), 3 or 5. */
  medianFiltering: number;
  /** Interpolation of the warped image (OpenCV uses bicubic). */
  interpolation: Interpolation;
}

/** OpenCV's DualTVL1OpticalFlow defaults (interpolation aside: bilinear is faster). */
export const TVL1_DEFAULTS: Readonly<Tvl1Options> = Object.freeze({
  tau: 0.25,
  lambda: 0.15,
  theta: 0.3,
  nscales: 5,
  warps: 5,
  epsilon: 0.01,
  innerIterations: 30,
  outerIterations: 10,
  scaleStep: 0.8,
  medianFiltering: 5,
  interpolation: 'bilinear',
});

/** Smallest pyramid level side, as OpenCV. */
const MIN_LEVEL_SIDE = 16;

interface Level {
  width: number;
  height: number;
  prev: Float32Array;
  next: Float32Array;
  flowX: Float32Array;
  flowY: Float32Array;
}

/** Checks and completes user options; throws InputError naming the bad field. */
export function resolveTvl1Options(options: Partial<Tvl1Options> = {}): Tvl1Options {
  const merged: Tvl1Options = { ...TVL1_DEFAULTS, ...stripUndefined(options) };
  const positive: (keyof Tvl1Options)[] = ['tau', 'lambda', 'theta'];
  for (const key of positive) {
    const value = merged[key];
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new InputError(`tvl1: expected ${key} > 0, got ${String(value)}`);
    }
  }
  const counts: (keyof Tvl1Options)[] = ['nscales', 'warps', 'innerIterations', 'outerIterations'];
  for (const key of counts) {
    const value = merged[key];
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new InputError(`tvl1: expected ${key} to be a positive integer, got ${String(value)}`);
    }
  }
  if (!(merged.epsilon >= 0))
    throw new InputError(`tvl1: expected epsilon >= 0, got ${merged.epsilon}`);
  if (!(merged.scaleStep > 0 && merged.scaleStep < 1)) {
    throw new InputError(`tvl1: expected scaleStep in (0, 1), got ${merged.scaleStep}`);
  }
  if (![0, 1, 3, 5].includes(merged.medianFiltering)) {
    throw new InputError(
      `tvl1: expected medianFiltering 0, 1, 3 or 5, got ${merged.medianFiltering}`,
    );
  }
  if (merged.interpolation !== 'bilinear' && merged.interpolation !== 'bicubic') {
    throw new InputError(
      `tvl1: expected interpolation bilinear|bicubic, got ${String(merged.interpolation)}`,
    );
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validates a frame pair and returns the pixel count. */
export function checkFramePair(
  prev: Float32Array,
  next: Float32Array,
  width: number,
  height: number,
  component: string,
): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(
      `${component}: expected positive integer width and height, got ${width}x${height}`,
    );
  }
  const pixels = width * height;
  if (prev.length !== pixels || next.length !== pixels) {
    throw new InputError(
      `${component}: expected two gray frames of ${width}x${height} = ${pixels} values, got ${prev.length} and ${next.length}`,
    );
  }
  return pixels;
}

/**
 * A TV-L1 solver holding its work buffers; reuse one per thread to avoid reallocating them.
 * Not re-entrant (compute is synchronous, so one instance per worker thread is safe).
 */
export class Tvl1Solver {
  readonly options: Tvl1Options;
  private capacity = 0;
  private levels: Level[] = [];
  private levelsKey = '';
  // per-level scratch, sized for the finest level
  private gradX = new Float32Array(0);
  private gradY = new Float32Array(0);
  private warped = new Float32Array(0);
  private warpedX = new Float32Array(0);
  private warpedY = new Float32Array(0);
  private gradNorm = new Float32Array(0);
  private rhoConst = new Float32Array(0);
  private readonly median: MedianFilter | undefined;
  private readonly kernel = new Tvl1IterationKernel();

  constructor(options: Partial<Tvl1Options> = {}) {
    this.options = resolveTvl1Options(options);
    const size = this.options.medianFiltering;
    this.median = size === 3 || size === 5 ? new MedianFilter(size) : undefined;
  }

  /**
   * Flow from `prev` to `next` (gray, 0..255, [height, width]) as [height, width, 2]
   * interleaved (u, v) in pixels: prev(x, y) ~ next(x + u, y + v).
   */
  compute(
    prev: Float32Array,
    next: Float32Array,
    width: number,
    height: number,
    out?: Float32Array,
  ): Float32Array {
    const pixels = checkFramePair(prev, next, width, height, 'tvl1');
    if (width < 3 || height < 3)
      throw new InputError(`tvl1: expected frames of at least 3x3, got ${width}x${height}`);
    const flow = out ?? new Float32Array(pixels * 2);
    if (flow.length !== pixels * 2) {
      throw new InputError(
        `tvl1: expected an output buffer of ${pixels * 2} floats, got ${flow.length}`,
      );
    }
    const levels = this.prepare(width, height);
    const { scaleStep } = this.options;
    levels[0].prev.set(prev);
    levels[0].next.set(next);
    for (let s = 1; s < levels.length; s++) {
      const fine = levels[s - 1];
      const coarse = levels[s];
      const inv = 1 / scaleStep;
      resizeBilinear(
        fine.prev,
        fine.width,
        fine.height,
        coarse.prev,
        coarse.width,
        coarse.height,
        inv,
        inv,
      );
      resizeBilinear(
        fine.next,
        fine.width,
        fine.height,
        coarse.next,
        coarse.width,
        coarse.height,
        inv,
        inv,
      );
    }
    const coarsest = levels[levels.length - 1];
    coarsest.flowX.fill(0);
    coarsest.flowY.fill(0);
    for (let s = levels.length - 1; s >= 0; s--) {
      const level = levels[s];
      this.solveLevel(level);
      if (s === 0) break;
      const finer = levels[s - 1];
      resizeBilinear(
        level.flowX,
        level.width,
        level.height,
        finer.flowX,
        finer.width,
        finer.height,
      );
      resizeBilinear(
        level.flowY,
        level.width,
        level.height,
        finer.flowY,
        finer.width,
        finer.height,
      );
      scaleInPlace(finer.flowX, finer.width * finer.height, 1 / scaleStep);
      scaleInPlace(finer.flowY, finer.width * finer.height, 1 / scaleStep);
    }
    const { flowX, flowY } = levels[0];
    for (let i = 0, j = 0; i < pixels; i++, j += 2) {
      flow[j] = flowX[i];
      flow[j + 1] = flowY[i];
    }
    return flow;
  }

  /** Allocates (or reuses) the pyramid and scratch buffers for this frame size. */
  private prepare(width: number, height: number): Level[] {
    const key = `${width}x${height}`;
    if (key === this.levelsKey) return this.levels;
    const pixels = width * height;
    if (pixels > this.capacity) {
      this.capacity = pixels;
      this.gradX = new Float32Array(pixels);
      this.gradY = new Float32Array(pixels);
      this.warped = new Float32Array(pixels);
      this.warpedX = new Float32Array(pixels);
      this.warpedY = new Float32Array(pixels);
      this.gradNorm = new Float32Array(pixels);
      this.rhoConst = new Float32Array(pixels);
    }
    const levels: Level[] = [];
    let w = width;
    let h = height;
    for (let s = 0; s < this.options.nscales; s++) {
      if (s > 0) {
        // OpenCV sizes a level as round(side * scaleStep) and stops below 16 px
        w = Math.round(w * this.options.scaleStep);
        h = Math.round(h * this.options.scaleStep);
        if (w < MIN_LEVEL_SIDE || h < MIN_LEVEL_SIDE) break;
      }
      const n = w * h;
      levels.push({
        width: w,
        height: h,
        prev: new Float32Array(n),
        next: new Float32Array(n),
        flowX: new Float32Array(n),
        flowY: new Float32Array(n),
      });
    }
    this.levels = levels;
    this.levelsKey = key;
    return levels;
  }

  /** Warps and iterations at one pyramid level; refines level.flowX/flowY in place. */
  private solveLevel(level: Level): void {
    const { width, height, prev, next, flowX: u1, flowY: u2 } = level;
    const o = this.options;
    const n = width * height;
    const scaledEpsilon = o.epsilon * o.epsilon * n;
    const lambdaTheta = o.lambda * o.theta;
    const tauOverTheta = o.tau / o.theta;
    const { gradX, gradY, warped, warpedX, warpedY, gradNorm, rhoConst, kernel } = this;
    centeredGradient(next, width, height, gradX, gradY);
    kernel.begin(width, height); // p = 0 at the start of each level, as OpenCV
    const targets = { image: warped, gradX: warpedX, gradY: warpedY };
    for (let warp = 0; warp < o.warps; warp++) {
      warpWithGradients(next, gradX, gradY, u1, u2, prev, width, height, targets, o.interpolation);
      for (let i = 0; i < n; i++) {
        const ix = warpedX[i];
        const iy = warpedY[i];
        gradNorm[i] = ix * ix + iy * iy;
        rhoConst[i] = warped[i] - ix * u1[i] - iy * u2[i] - prev[i];
      }
      kernel.setDataTerm(warpedX, warpedY, gradNorm, rhoConst);
      kernel.setFlow(u1, u2);
      let error = Number.MAX_VALUE;
      for (let outer = 0; error > scaledEpsilon && outer < o.outerIterations; outer++) {
        if (this.median) {
          kernel.getFlow(u1, u2);
          this.median.apply(u1, width, height, u1);
          this.median.apply(u2, width, height, u2);
          kernel.setFlow(u1, u2);
        }
        for (let inner = 0; error > scaledEpsilon && inner < o.innerIterations; inner++) {
          error = kernel.iterate(lambdaTheta, o.theta, tauOverTheta);
        }
      }
      kernel.getFlow(u1, u2);
    }
  }
}

function scaleInPlace(values: Float32Array, length: number, factor: number): void {
  for (let i = 0; i < length; i++) values[i] *= factor;
}

/** Solvers by their resolved options, so repeated calls reuse buffers (a few entries at most). */
const solvers = new Map<string, Tvl1Solver>();
const MAX_CACHED_SOLVERS = 4;

/**
 * TV-L1 flow from `prev` to `next` (gray, 0..255, [height, width]); returns [height, width, 2]
 * interleaved (u, v) in pixels. Calls with the same options reuse one solver's buffers.
 */
export function tvl1Flow(
  prev: Float32Array,
  next: Float32Array,
  width: number,
  height: number,
  options: Partial<Tvl1Options> = {},
): Float32Array {
  const resolved = resolveTvl1Options(options);
  const key = JSON.stringify(resolved);
  let solver = solvers.get(key);
  if (!solver) {
    if (solvers.size >= MAX_CACHED_SOLVERS) solvers.delete(solvers.keys().next().value as string);
    solver = new Tvl1Solver(resolved);
    solvers.set(key, solver);
  }
  return solver.compute(prev, next, width, height);
}
