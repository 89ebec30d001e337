import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { endPointError, interiorMask } from '../../src/flow/epe.ts';
import { syntheticFlowPair, type SyntheticMotion } from '../../src/flow/synthetic.ts';
import { Tvl1Solver, TVL1_DEFAULTS, tvl1Flow } from '../../src/flow/tvl1.ts';

const SIZE = 80;
const interior = interiorMask(SIZE, SIZE, 10);

const cases: { name: string; motion: SyntheticMotion; bound: number }[] = [
  {
    name: 'translate dx=1.3 dy=-0.7',
    motion: { kind: 'translate', dx: 1.3, dy: -0.7 },
    bound: 0.1,
  },
  {
    name: 'translate dx=4.6 dy=2.2 (needs the pyramid)',
    motion: { kind: 'translate', dx: 4.6, dy: 2.2 },
    bound: 0.15,
  },
  { name: 'rotate 3 degrees', motion: { kind: 'rotate', degrees: 3 }, bound: 0.15 },
  { name: 'smooth warp amplitude 2.5', motion: { kind: 'warp', amplitude: 2.5 }, bound: 0.3 },
];

describe(`tvl1 on [${SIZE},${SIZE}] synthetic pairs`, () => {
  const solver = new Tvl1Solver();
  for (const { name, motion, bound } of cases) {
    it(`${name}: interior EPE < ${bound} px`, () => {
      const pair = syntheticFlowPair({ width: SIZE, height: SIZE, motion, seed: 3 });
      const flow = solver.compute(pair.prev, pair.next, SIZE, SIZE);
      expect(flow.length).toBe(SIZE * SIZE * 2);
      const epe = endPointError(flow, pair.flow, { mask: interior });
      // zero flow as the trivial baseline: the estimate must beat it by far
      const zeroEpe = endPointError(new Float32Array(flow.length), pair.flow, { mask: interior });
      expect(epe).toBeLessThan(bound);
      expect(epe).toBeLessThan(zeroEpe / 5);
    });
  }

  it('bicubic warping gives a comparable result', () => {
    const pair = syntheticFlowPair({
      width: SIZE,
      height: SIZE,
      motion: { kind: 'translate', dx: 1.3, dy: -0.7 },
    });
    const flow = tvl1Flow(pair.prev, pair.next, SIZE, SIZE, { interpolation: 'bicubic' });
    expect(endPointError(flow, pair.flow, { mask: interior })).toBeLessThan(0.15);
  });

  it('identical frames give (near) zero flow; a solver is reusable across sizes', () => {
    const a = syntheticFlowPair({
      width: 40,
      height: 30,
      motion: { kind: 'translate', dx: 0, dy: 0 },
    });
    const flow = solver.compute(a.prev, a.prev, 40, 30);
    expect(Math.max(...flow.map(Math.abs))).toBeLessThan(1e-3);
  });

  it('uses the OpenCV defaults and rejects bad input', () => {
    expect(TVL1_DEFAULTS).toMatchObject({
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
    });
    expect(() => new Tvl1Solver({ scaleStep: 1.2 })).toThrow(/scaleStep/);
    expect(() => new Tvl1Solver({ medianFiltering: 4 })).toThrow(InputError);
    expect(() => tvl1Flow(new Float32Array(10), new Float32Array(12), 5, 2)).toThrow(
      /expected two gray frames/,
    );
  });
});
