import { describe, expect, it } from 'vitest';
import {
  clipsToInputs,
  drawShifts,
  Rng,
  selectBackend,
  shiftedSourceIndex,
  type ClipResult,
} from '../../src/index.ts';

await selectBackend('cpu');

/** A [frames, h, w, c] uint8 clip whose every value is distinct enough to trace. */
function clip(frames: number, height: number, width: number, channels: number): Uint8Array {
  const data = new Uint8Array(frames * height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) % 251;
  return data;
}

function at(
  data: ArrayLike<number>,
  shape: number[],
  t: number,
  y: number,
  x: number,
  c: number,
): number {
  const [, h, w, ch] = shape as [number, number, number, number];
  return data[((t * h + y) * w + x) * ch + c]!;
}

describe('random translation', () => {
  it('moves content by (dx, dy) and replicates the edge it uncovers', () => {
    const shape = [3, 5, 6, 2] as const;
    const source = clip(...shape);
    for (const shift of [
      { dx: 2, dy: -1 },
      { dx: -3, dy: 2 },
      { dx: 0, dy: 0 },
    ]) {
      const index = shiftedSourceIndex(shape, shift);
      const out = Array.from(index, (i) => source[i]!);
      for (let t = 0; t < 3; t++) {
        for (let y = 0; y < 5; y++) {
          for (let x = 0; x < 6; x++) {
            for (let c = 0; c < 2; c++) {
              // Content moved: what was at (x, y) is now at (x + dx, y + dy) when that is inside.
              const ty = y + shift.dy;
              const tx = x + shift.dx;
              if (ty >= 0 && ty < 5 && tx >= 0 && tx < 6)
                expect(at(out, [...shape], t, ty, tx, c)).toBe(at(source, [...shape], t, y, x, c));
            }
          }
        }
      }
      // Uncovered columns repeat the source's border column.
      if (shift.dx > 0)
        expect(at(out, [...shape], 1, 2, 0, 1)).toBe(
          at(source, [...shape], 1, Math.min(4, Math.max(0, 2 - shift.dy)), 0, 1),
        );
      if (shift.dx < 0)
        expect(at(out, [...shape], 1, 2, 5, 1)).toBe(
          at(source, [...shape], 1, Math.min(4, Math.max(0, 2 - shift.dy)), 5, 1),
        );
    }
  });

  it('draws shifts in [-max, max], none at max 0, repeatably from the seed', () => {
    const shifts = drawShifts(Rng.fromSeed(5), 200, 3);
    expect(shifts.every((s) => Math.abs(s.dx) <= 3 && Math.abs(s.dy) <= 3)).toBe(true);
    expect(new Set(shifts.map((s) => s.dx)).size).toBe(7);
    expect(drawShifts(Rng.fromSeed(5), 200, 3)).toEqual(shifts);
    const rng = Rng.fromSeed(9);
    expect(drawShifts(rng, 4, 0)).toEqual(Array.from({ length: 4 }, () => ({ dx: 0, dy: 0 })));
    expect(rng.next()).toBe(Rng.fromSeed(9).next()); // max 0 consumes nothing
  });

  it('shifts every stream of a clip alike when building inputs', async () => {
    const shape: [number, number, number, number] = [2, 4, 4, 3];
    const flowShape: [number, number, number, number] = [2, 4, 4, 2];
    const result = {
      video: 'a.mp4',
      streams: [
        { name: 'rgb', shape, data: clip(...shape) },
        { name: 'flow', shape: flowShape, data: clip(...flowShape) },
      ],
    } as unknown as ClipResult; // only the fields clipsToInputs reads
    const shift = { dx: 1, dy: 1 };
    const inputs = clipsToInputs([result, result], [shift, { dx: 0, dy: 0 }]);
    const rgb = await inputs.rgb!.data();
    const flow = await inputs.flow!.data();
    // Row 0 is shifted: pixel (2, 2) holds the source's (1, 1); row 1 is untouched.
    expect(rgb[((1 * 4 + 2) * 4 + 2) * 3]).toBeCloseTo(
      at(clip(...shape), shape, 1, 1, 1, 0) / 127.5 - 1,
      6,
    );
    expect(flow[((1 * 4 + 2) * 4 + 2) * 2 + 1]).toBeCloseTo(
      at(clip(...flowShape), flowShape, 1, 1, 1, 1) / 127.5 - 1,
      6,
    );
    const row1 = 2 * 4 * 4 * 3;
    expect(rgb[row1 + ((1 * 4 + 2) * 4 + 2) * 3]).toBeCloseTo(
      at(clip(...shape), shape, 1, 2, 2, 0) / 127.5 - 1,
      6,
    );
  });
});
