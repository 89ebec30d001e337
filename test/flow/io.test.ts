import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clipFlow,
  decodeFlo,
  dequantizeFlow,
  encodeFlo,
  endPointError,
  flowToUnit,
  interiorMask,
  quantizeFlow,
  quantizedFlowToUnit,
  readFlo,
  rgbToGray,
  writeFlo,
} from '../../src/flow/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'flow-io-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('.flo files', () => {
  it('writes the Middlebury header byte for byte (2x1 field)', () => {
    const bytes = encodeFlo(new Float32Array([1.5, -2, 0.25, 3]), 2, 1);
    // "PIEH" is 202021.25 as a little-endian float32
    expect(Array.from(bytes.subarray(0, 12))).toEqual([
      0x50, 0x49, 0x45, 0x48, 2, 0, 0, 0, 1, 0, 0, 0,
    ]);
    expect(bytes.length).toBe(12 + 2 * 1 * 8);
    // 1.5f = 0x3FC00000, little endian
    expect(Array.from(bytes.subarray(12, 16))).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('round-trips a [3,5,2] field through a file', async () => {
    const flow = Float32Array.from({ length: 5 * 3 * 2 }, (_, i) => (i - 7) * 0.37);
    const path = join(dir, 'a.flo');
    await writeFlo(path, flow, 5, 3);
    const back = await readFlo(path);
    expect(back.width).toBe(5);
    expect(back.height).toBe(3);
    expect(Array.from(back.flow)).toEqual(Array.from(flow));
  });

  it('rejects bad files with clear errors', async () => {
    const good = encodeFlo(new Float32Array(8), 2, 2);
    expect(() => decodeFlo(good.subarray(0, 5))).toThrow(/12-byte header/);
    const badTag = good.slice();
    badTag[0] = 0x41;
    expect(() => decodeFlo(badTag)).toThrow(/expected the tag "PIEH".*got "AIEH"/);
    expect(() => decodeFlo(good.subarray(0, good.length - 4))).toThrow(
      /expected 44 bytes for 2x2, got 40/,
    );
    const hugeSide = good.slice();
    new DataView(hugeSide.buffer).setInt32(4, -3, true);
    expect(() => decodeFlo(hugeSide)).toThrow(/width and height/);
    await writeFile(join(dir, 'junk.flo'), 'not a flow file at all');
    await expect(readFlo(join(dir, 'junk.flo'))).rejects.toThrow(/junk\.flo/);
    await expect(readFlo(join(dir, 'missing.flo'))).rejects.toThrow(/ENOENT/);
    expect(() => encodeFlo(new Float32Array(3), 2, 1)).toThrow(/expected 2x1x2 = 4 values/);
  });
});

describe('flow normalisation (bound 20)', () => {
  it('clips, quantises [-20,20] -> [0,255] and maps bytes to [-1,1]', () => {
    const flow = new Float32Array([-30, -20, -10, 0, 10, 20, 25, Number.NaN]);
    expect(Array.from(clipFlow(flow).subarray(0, 7))).toEqual([-20, -20, -10, 0, 10, 20, 20]);
    const q = quantizeFlow(flow);
    // (v + 20) * 255 / 40, rounded: -10 -> 63.75 -> 64, 0 -> 127.5 -> 128, 10 -> 191.25 -> 191
    expect(Array.from(q)).toEqual([0, 0, 64, 128, 191, 255, 255, 128]);
    const unit = quantizedFlowToUnit(q);
    expect(unit[0]).toBe(-1);
    expect(unit[5]).toBe(1);
    expect(unit[3]).toBeCloseTo(128 / 127.5 - 1, 6);
  });

  it('round-trips within half a quantisation step', () => {
    const flow = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 19.9);
    const back = dequantizeFlow(quantizeFlow(flow));
    const step = 40 / 255;
    for (let i = 0; i < flow.length; i++)
      expect(Math.abs(back[i] - flow[i])).toBeLessThanOrEqual(step / 2 + 1e-5);
    const unit = flowToUnit(flow);
    for (let i = 0; i < flow.length; i++) expect(unit[i]).toBeCloseTo(flow[i] / 20, 6);
    expect(() => quantizeFlow(flow, 0)).toThrow(/bound > 0/);
  });
});

describe('end-point error', () => {
  it('matches hand-computed values, with and without a mask', () => {
    const truth = new Float32Array([0, 0, 1, 1, 2, 0, 0, 0]);
    const est = new Float32Array([3, 4, 1, 1, 2, 1, 0, 0]);
    // per-pixel errors: 5, 0, 1, 0
    expect(endPointError(est, truth)).toBeCloseTo(6 / 4, 10);
    expect(endPointError(est, truth, { mask: [0, 1, 1, 0] })).toBeCloseTo(1 / 2, 10);
    expect(() => endPointError(est, truth, { mask: [0, 0, 0, 0] })).toThrow(
      /at least one scored pixel/,
    );
    expect(() => endPointError(est, truth.subarray(0, 6))).toThrow(/equal even length/);
  });

  it('interiorMask keeps pixels at least `border` from every edge', () => {
    const mask = interiorMask(5, 4, 1);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('rgbToGray', () => {
  it('uses BT.601 weights on the 0..255 scale', () => {
    const gray = rgbToGray(new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), 2, 2);
    expect(Array.from(gray).map((v) => +v.toFixed(3))).toEqual(
      [76.245, 149.685, 29.07, 0.299 * 10 + 0.587 * 20 + 0.114 * 30].map((v) => +v.toFixed(3)),
    );
    expect(() => rgbToGray(new Uint8Array(5), 2, 1)).toThrow(/expected 2x1x3 = 6 bytes/);
  });
});
