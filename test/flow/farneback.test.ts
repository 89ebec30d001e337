import { describe, expect, it } from 'vitest';
import {
  computeFlow,
  endPointError,
  interiorMask,
  loadOpenCv,
  syntheticFlowPair,
} from '../../src/flow/index.ts';

const SIZE = 80;

describe('farneback (OpenCV.js)', () => {
  it('loads once and leaves no process-wide error handlers behind', async () => {
    const before =
      process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException');
    const [a, b] = await Promise.all([loadOpenCv(), loadOpenCv()]);
    expect(a).toBe(b);
    expect(typeof a.calcOpticalFlowFarneback).toBe('function');
    expect(
      process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException'),
    ).toBe(before);
  });

  for (const [name, motion, bound] of [
    ['translate dx=1.3 dy=-0.7', { kind: 'translate', dx: 1.3, dy: -0.7 }, 0.3],
    ['rotate 3 degrees', { kind: 'rotate', degrees: 3 }, 0.5],
  ] as const) {
    it(`[${SIZE},${SIZE}] ${name}: interior EPE < ${bound} px`, async () => {
      const pair = syntheticFlowPair({ width: SIZE, height: SIZE, motion, seed: 3 });
      const flow = await computeFlow(pair.prev, pair.next, SIZE, SIZE, { method: 'farneback' });
      const mask = interiorMask(SIZE, SIZE, 10);
      const epe = endPointError(flow, pair.flow, { mask });
      const zeroEpe = endPointError(new Float32Array(flow.length), pair.flow, { mask });
      expect(epe).toBeLessThan(bound);
      expect(epe).toBeLessThan(zeroEpe / 3);
    });
  }

  it('rejects bad parameters before loading anything heavy', async () => {
    const frame = new Float32Array(16 * 16);
    await expect(
      computeFlow(frame, frame, 16, 16, { method: 'farneback', polyN: 6 }),
    ).rejects.toThrow(/polyN 5 or 7/);
    await expect(computeFlow(frame, frame, 16, 15, { method: 'farneback' })).rejects.toThrow(
      /expected two gray frames/,
    );
  });
});
