import { describe, expect, it } from 'vitest';
import { MedianFilter } from '../../src/flow/median.ts';
import { seededRandom } from '../../src/flow/synthetic.ts';

/** Plain numbers with -0 read as 0 (the median of {-0, 0} may be either). */
const values = (a: Float32Array) => Array.from(a, (v) => (v === 0 ? 0 : v));

/** Naive reference: sort each replicate-clamped window. */
function naiveMedian(src: Float32Array, width: number, height: number, size: number): Float32Array {
  const r = (size - 1) / 2;
  const out = new Float32Array(width * height);
  const window: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      window.length = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const sy = Math.min(height - 1, Math.max(0, y + dy));
          const sx = Math.min(width - 1, Math.max(0, x + dx));
          window.push(src[sy * width + sx]);
        }
      }
      window.sort((a, b) => a - b);
      out[y * width + x] = window[(window.length - 1) / 2];
    }
  }
  return out;
}

describe('MedianFilter', () => {
  const random = seededRandom(7);
  for (const size of [3, 5] as const) {
    for (const [width, height] of [
      [1, 1],
      [3, 2],
      [7, 5],
      [33, 17],
      [64, 48],
    ]) {
      it(`k=${size} image=[${height},${width}] equals a naive sort`, () => {
        const src = new Float32Array(width * height);
        // few distinct values so ties are common, plus negatives
        for (let i = 0; i < src.length; i++) src[i] = Math.round((random() - 0.5) * 8) / 2;
        const expected = naiveMedian(src, width, height, size);
        const dst = new Float32Array(width * height);
        new MedianFilter(size).apply(src, width, height, dst);
        expect(values(dst)).toEqual(values(expected));
      });
    }
  }

  it('filters in place and across growing sizes', () => {
    const filter = new MedianFilter(5);
    for (const [width, height] of [
      [10, 10],
      [200, 150],
      [12, 9],
    ]) {
      const src = new Float32Array(width * height);
      for (let i = 0; i < src.length; i++) src[i] = random() * 100 - 50;
      const expected = naiveMedian(src, width, height, 5);
      filter.apply(src, width, height, src);
      expect(values(src)).toEqual(values(expected));
    }
  });
});
