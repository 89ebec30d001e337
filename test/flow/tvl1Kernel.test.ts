import { describe, expect, it } from 'vitest';
import { Tvl1IterationKernel } from '../../src/flow/tvl1Kernel.ts';
import { seededRandom } from '../../src/flow/synthetic.ts';

/**
 * Plain reference of one OpenCV DualTVL1 inner iteration (estimateV, divergence, estimateU,
 * forwardGradient, estimateDualVariables), written from the formulas with explicit borders.
 */
function referenceIteration(
  w: number,
  h: number,
  s: {
    u1: Float64Array;
    u2: Float64Array;
    ix: Float64Array;
    iy: Float64Array;
    grad: Float64Array;
    rho: Float64Array;
    p: Float64Array[];
  },
  lt: number,
  theta: number,
  taut: number,
): number {
  const [p11, p12, p21, p22] = s.p;
  const at = (a: Float64Array, x: number, y: number) => a[y * w + x];
  let error = 0;
  const n1 = new Float64Array(w * h);
  const n2 = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const rho = s.rho[i] + s.ix[i] * s.u1[i] + s.iy[i] * s.u2[i];
      let d1 = 0;
      let d2 = 0;
      if (rho < -lt * s.grad[i]) [d1, d2] = [lt * s.ix[i], lt * s.iy[i]];
      else if (rho > lt * s.grad[i]) [d1, d2] = [-lt * s.ix[i], -lt * s.iy[i]];
      else if (s.grad[i] > 1.1920929e-7)
        [d1, d2] = [(-rho / s.grad[i]) * s.ix[i], (-rho / s.grad[i]) * s.iy[i]];
      const div = (a: Float64Array, b: Float64Array) =>
        at(a, x, y) - (x > 0 ? at(a, x - 1, y) : 0) + at(b, x, y) - (y > 0 ? at(b, x, y - 1) : 0);
      n1[i] = s.u1[i] + d1 + theta * div(p11, p12);
      n2[i] = s.u2[i] + d2 + theta * div(p21, p22);
      error += (n1[i] - s.u1[i]) ** 2 + (n2[i] - s.u2[i]) ** 2;
    }
  }
  s.u1.set(n1);
  s.u2.set(n2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const dual = (u: Float64Array, px: Float64Array, py: Float64Array) => {
        const gx = x < w - 1 ? at(u, x + 1, y) - u[i] : 0;
        const gy = y < h - 1 ? at(u, x, y + 1) - u[i] : 0;
        const ng = 1 + taut * Math.hypot(gx, gy);
        px[i] = (px[i] + taut * gx) / ng;
        py[i] = (py[i] + taut * gy) / ng;
      };
      dual(s.u1, p11, p12);
      dual(s.u2, p21, p22);
    }
  }
  return error;
}

describe('Tvl1IterationKernel', () => {
  for (const [w, h] of [
    [3, 3],
    [5, 4],
    [17, 9],
    [32, 24],
  ]) {
    it(`matches the reference iteration for image=[${h},${w}] after 12 iterations`, () => {
      const random = seededRandom(w * 31 + h);
      const n = w * h;
      const rnd = (scale: number) =>
        Float64Array.from({ length: n }, () => (random() - 0.5) * scale);
      const ix = rnd(40);
      const iy = rnd(40);
      // some pixels with no gradient: exercises the grad <= eps branch
      for (let i = 0; i < n; i += 7) ix[i] = iy[i] = 0;
      const grad = Float64Array.from(ix, (v, i) => v * v + iy[i] * iy[i]);
      const state = {
        u1: rnd(4),
        u2: rnd(4),
        ix,
        iy,
        grad,
        rho: rnd(60),
        p: [0, 1, 2, 3].map(() => new Float64Array(n)),
      };
      const f32 = (a: Float64Array) => Float32Array.from(a);
      const kernel = new Tvl1IterationKernel();
      kernel.begin(w, h);
      kernel.setDataTerm(f32(ix), f32(iy), f32(grad), f32(state.rho));
      kernel.setFlow(f32(state.u1), f32(state.u2));
      const [lt, theta, taut] = [0.15 * 0.3, 0.3, 0.25 / 0.3];
      for (let k = 0; k < 12; k++) {
        const expected = referenceIteration(w, h, state, lt, theta, taut);
        const got = kernel.iterate(lt, theta, taut);
        expect(got).toBeCloseTo(expected, 2);
      }
      const u1 = new Float32Array(n);
      const u2 = new Float32Array(n);
      kernel.getFlow(u1, u2);
      for (let i = 0; i < n; i++) {
        expect(u1[i]).toBeCloseTo(state.u1[i], 3);
        expect(u2[i]).toBeCloseTo(state.u2[i], 3);
      }
    });
  }
});
