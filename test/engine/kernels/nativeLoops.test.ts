/**
 * The native loops (native/kernels.cc) against the JavaScript ones they replace, bitwise:
 * batch norm (src/engine/kernels/BatchNormTraining.ts: sums and outputs, with and without ReLU,
 * channel counts with and without a remainder of 4 (the stems have 11), values the ReLU clamps,
 * zeros) and the max-pool gradient (src/engine/kernels/MaxPoolGrad.ts: overlapping windows,
 * padding, ties, all-negative windows).
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { javascriptLoops as js } from '../../../src/engine/kernels/BatchNormTraining.ts';
import { maxPoolGradLoop } from '../../../src/engine/kernels/MaxPoolGrad.ts';
import {
  NATIVE_ADDON_PATH,
  loadNativeAddon,
  nativeDisabled,
  type NativeAddon,
} from '../../../src/engine/native/addon.ts';
import { seeded } from './naive.ts';

const sameBits = (a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

function perChannel(channels: number, seed: number): Float64Array {
  return Float64Array.from(seeded([channels], seed), (v) => 2 * v + 0.1);
}

/** The forward max pool (the gradient's `y`), from the definition. */
function poolMax(x: Float32Array, geometry: number[]): Float32Array {
  const [n, h, w, c, ho, wo, sh, sw, fh, fw, top, left] = geometry as number[];
  const y = new Float32Array(n * ho * wo * c);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < ho; r++)
      for (let q = 0; q < wo; q++)
        for (let d = 0; d < c; d++) {
          let max = Number.NEGATIVE_INFINITY;
          for (let i = r * sh - top; i < r * sh - top + fh; i++)
            for (let j = q * sw - left; j < q * sw - left + fw; j++)
              if (i >= 0 && i < h && j >= 0 && j < w)
                max = Math.max(max, x[((b * h + i) * w + j) * c + d]!);
          y[((b * ho + r) * wo + q) * c + d] = max;
        }
  return y;
}

describe.skipIf(!existsSync(NATIVE_ADDON_PATH) || nativeDisabled())(
  'native batch-norm loops',
  () => {
    let native: NativeAddon;
    beforeAll(() => {
      const load = loadNativeAddon();
      if (!load.addon) throw new Error(`expected the addon to load: ${load.reason}`);
      native = load.addon;
    });

    for (const channels of [1, 3, 4, 11, 32]) {
      const pixels = 37;
      const x = seeded([pixels, channels], channels);
      x.fill(0, 0, channels); // a pixel of zeros
      const dy = seeded([pixels, channels], channels + 100);

      it(`sums, C=${channels}`, () => {
        const [s1, q1, s2, q2] = [0, 0, 0, 0].map(
          () => new Float64Array(channels),
        ) as Float64Array[];
        js.sumsPerChannel(x, s1!, q1!);
        native.bn(0, x, s2!, q2!);
        expect(sameBits(s1!, s2!) && sameBits(q1!, q2!)).toBe(true);
      });

      for (const relu of [false, true]) {
        it(`affine${relu ? ' + ReLU' : ''} and gradient, C=${channels}`, () => {
          const scale = perChannel(channels, 7);
          const shift = perChannel(channels, 8).map((v) => v / 20); // small: both signs survive
          const yJs = new Float32Array(x.length);
          const yNative = new Float32Array(x.length);
          (relu ? js.affineReluPerChannel : js.affinePerChannel)(x, yJs, scale, shift);
          native.bn(1, x, yNative, scale, shift, relu);
          expect(sameBits(yJs, yNative)).toBe(true);
          if (relu) expect(yJs.some((v) => v === 0) && yJs.some((v) => v > 0)).toBe(true);

          const yBits = relu ? new Int32Array(yJs.buffer) : null;
          const [g1, t1, g2, t2] = [0, 0, 0, 0].map(
            () => new Float64Array(channels),
          ) as Float64Array[];
          js.gradSumsPerChannel(dy, x, yBits, g1!, t1!);
          native.bn(2, dy, x, relu ? yJs : null, g2!, t2!);
          expect(sameBits(g1!, g2!) && sameBits(t1!, t2!)).toBe(true);

          const [a, k, d] = [11, 12, 13].map((seed) =>
            perChannel(channels, seed),
          ) as Float64Array[];
          const dxJs = new Float32Array(x.length);
          const dxNative = new Float32Array(x.length);
          js.inputGrad(dy, x, yBits, dxJs, a!, k!, d!);
          native.bn(3, dy, x, relu ? yJs : null, dxNative, a!, k!, d!);
          expect(sameBits(dxJs, dxNative)).toBe(true);
        });
      }
    }

    it('gives the same bits on 2 threads (tensors large enough to be split)', () => {
      native.setThreads(2);
      try {
        for (const channels of [3, 11, 32]) {
          const x = seeded([8192, channels], 31); // >= 65536 elements: the loops fork
          const dy = seeded([8192, channels], 32);
          const scale = perChannel(channels, 7);
          const shift = perChannel(channels, 8).map((v) => v / 20);
          const [s1, q1, s2, q2, g1, t1, g2, t2] = Array.from(
            { length: 8 },
            () => new Float64Array(channels),
          ) as Float64Array[];
          js.sumsPerChannel(x, s1!, q1!);
          native.bn(0, x, s2!, q2!);
          const yJs = new Float32Array(x.length);
          const yNative = new Float32Array(x.length);
          js.affineReluPerChannel(x, yJs, scale, shift);
          native.bn(1, x, yNative, scale, shift, true);
          js.gradSumsPerChannel(dy, x, new Int32Array(yJs.buffer), g1!, t1!);
          native.bn(2, dy, x, yJs, g2!, t2!);
          const dxJs = new Float32Array(x.length);
          const dxNative = new Float32Array(x.length);
          js.inputGrad(dy, x, new Int32Array(yJs.buffer), dxJs, scale, shift, scale);
          native.bn(3, dy, x, yJs, dxNative, scale, shift, scale);
          const same = [
            sameBits(s1!, s2!),
            sameBits(q1!, q2!),
            sameBits(yJs, yNative),
            sameBits(g1!, g2!),
            sameBits(t1!, t2!),
            sameBits(dxJs, dxNative),
          ];
          expect(same, `C=${channels}`).toEqual([true, true, true, true, true, true]);
        }
        // max pool: 8 batch items of [32,32,8] split across the threads
        const geometry = Int32Array.from([8, 32, 32, 8, 16, 16, 2, 2, 3, 3, 0, 0]);
        const x = seeded([8, 32, 32, 8], 33);
        const y = new Float32Array(8 * 16 * 16 * 8).fill(0.25); // windows without their max: none taken
        for (let i = 0; i < y.length; i += 3) y[i] = x[0]!; // and some that find a value
        const dy = seeded([8, 16, 16, 8], 34);
        const dxJs = new Float32Array(x.length);
        const dxNative = new Float32Array(x.length);
        maxPoolGradLoop(x, y, dy, dxJs, geometry);
        native.maxPoolGrad(x, y, dy, dxNative, geometry);
        expect(sameBits(dxJs, dxNative)).toBe(true);
      } finally {
        native.setThreads(1);
      }
    });

    // N,H,W,C,Ho,Wo,sh,sw,fh,fw,top,left: 3x3 stride 2 'same' (overlapping, padded), 2x2 stride 2,
    // 3x3 stride 1 (heavily overlapping: several windows add into one element)
    for (const geometry of [
      [2, 9, 8, 3, 5, 4, 2, 2, 3, 3, 1, 1],
      [1, 8, 8, 5, 4, 4, 2, 2, 2, 2, 0, 0],
      [1, 6, 7, 2, 4, 5, 1, 1, 3, 3, 0, 0],
    ]) {
      it(`max-pool gradient ${geometry.join(',')}`, () => {
        const [n, h, w, c, ho, wo] = geometry.map(Number);
        const x = seeded([n, h, w, c], 21).map((v) => Math.round(v * 8) / 8 - 0.3); // ties, negatives
        const y = poolMax(x, geometry);
        const dy = seeded([n, ho, wo, c], 22);
        const g = Int32Array.from(geometry);
        const dxJs = new Float32Array(x.length).fill(7);
        const dxNative = new Float32Array(x.length).fill(7);
        maxPoolGradLoop(x, y, dy, dxJs, g);
        native.maxPoolGrad(x, y, dy, dxNative, g);
        expect(sameBits(dxJs, dxNative)).toBe(true);
        // every window's gradient landed somewhere: the sums agree
        const total = (a: Float32Array) => a.reduce((p, v) => p + v, 0);
        expect(total(dxNative)).toBeCloseTo(total(dy), 3);
      });
    }

    it('refuses mismatched lengths and wrong array types', () => {
      const x = new Float32Array(12);
      expect(() => native.bn(0, x, new Float64Array(5), new Float64Array(5))).toThrow(
        /tensor \[\.\.\., C\] with C = the per-channel length/,
      );
      expect(() => native.bn(0, x, new Float64Array(3), new Float64Array(4))).toThrow(
        /per-channel lengths differ/,
      );
      expect(() =>
        native.bn(0, x, new Float32Array(3) as unknown as Float64Array, new Float64Array(3)),
      ).toThrow(/must be a Float64Array/);
    });
  },
);
