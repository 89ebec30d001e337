/**
 * Training-time augmentation that keeps a clip's class: a random spatial translation of the
 * whole clip, the same for every frame and every stream (RGB and flow move together, and a
 * translation leaves flow vectors unchanged). Edges are replicated. Horizontal flips are not
 * offered: they turn "move left" into "move right" and would need flow's x negated.
 */
import type { Rng } from '../util/random.ts';

/** Pixels a clip moves: content at (x, y) lands at (x + dx, y + dy). */
export interface ClipShift {
  dx: number;
  dy: number;
}

/** One shift per clip, each coordinate uniform in [-max, max]; no draws when max is 0. */
export function drawShifts(rng: Rng, count: number, max: number): ClipShift[] {
  if (max <= 0) return Array.from({ length: count }, () => ({ dx: 0, dy: 0 }));
  return Array.from({ length: count }, () => ({
    dx: rng.randInt(-max, max + 1),
    dy: rng.randInt(-max, max + 1),
  }));
}

/**
 * Source index of each output pixel of a shifted `[frames, height, width, channels]` clip
 * (row-major, channel-last), so converting and shifting is one pass.
 */
export function shiftedSourceIndex(
  shape: readonly [number, number, number, number],
  shift: ClipShift,
): Int32Array {
  const [frames, height, width, channels] = shape;
  const index = new Int32Array(frames * height * width * channels);
  let out = 0;
  for (let t = 0; t < frames; t++) {
    for (let y = 0; y < height; y++) {
      const sy = Math.min(height - 1, Math.max(0, y - shift.dy));
      for (let x = 0; x < width; x++) {
        const sx = Math.min(width - 1, Math.max(0, x - shift.dx));
        const base = ((t * height + sy) * width + sx) * channels;
        for (let c = 0; c < channels; c++) index[out++] = base + c;
      }
    }
  }
  return index;
}
