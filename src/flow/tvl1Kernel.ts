/**
 * The inner TV-L1 iteration (OpenCV's estimateV + divergence + estimateU, then
 * forwardGradient + estimateDualVariables) as WebAssembly SIMD, four pixels per step.
 *
 * Images live in the module's memory on a padded grid: stride width + 1 (column 0 is padding)
 * and one padding row above and below, so that the backward differences of the divergence
 * read zeros at x = 0 and y = 0 without branches. Masks zero the forward differences on the
 * last column/row (OpenCV's forwardGradient) and the divergence on padding, and padding
 * carries no data term, so u and p never change there.
 */
import {
  F32,
  FunctionBuilder,
  type WasmMemory,
  I32,
  SIMD,
  V128,
  buildModule,
  ensureMemory,
  instantiate,
} from './wasm.ts';

/** Arrays in memory, in this order, each `arrayFloats` long. */
const ARRAYS = [
  'u1',
  'u2',
  'ix',
  'iy',
  'grad',
  'rho',
  'p11',
  'p12',
  'p21',
  'p22',
  'valid',
  'maskX',
  'maskY',
] as const;
type ArrayName = (typeof ARRAYS)[number];
const slot = (name: ArrayName) => ARRAYS.indexOf(name);

/** Smallest |grad I|^2 treated as nonzero (float epsilon, as OpenCV). */
const GRAD_EPSILON = 1.1920929e-7;

/** Emits `base[k] = k * arrayBytes` (+ adjust) into fresh locals. */
function baseLocal(
  f: FunctionBuilder,
  arrayBytes: number,
  name: ArrayName,
  adjust?: () => void,
): number {
  const local = f.local(I32);
  f.i32Const(slot(name)).get(arrayBytes);
  f.code.push(0x6c); // i32.mul
  adjust?.();
  f.set(local);
  return local;
}

/**
 * primal(startBytes, endBytes, arrayBytes, strideBytes, lambdaTheta, theta) -> summed (du)^2:
 * v = u + thresholding step of the linearised data term; u = v + theta * div p.
 */
function primalFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, F32, F32], [F32]);
  const [START, END, ARRAY, STRIDE, LT, THETA] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32);
  const base = (name: ArrayName) => baseLocal(f, ARRAY, name);
  const [U1, U2, IX, IY, G, RHO, P11, P12, P21, P22, VALID] = (
    ['u1', 'u2', 'ix', 'iy', 'grad', 'rho', 'p11', 'p12', 'p21', 'p22', 'valid'] as const
  ).map(base);
  const P11left = baseLocal(f, ARRAY, 'p11', () => f.i32Const(4).i32Sub());
  const P21left = baseLocal(f, ARRAY, 'p21', () => f.i32Const(4).i32Sub());
  const P12up = baseLocal(f, ARRAY, 'p12', () => f.get(STRIDE).i32Sub());
  const P22up = baseLocal(f, ARRAY, 'p22', () => f.get(STRIDE).i32Sub());
  const v = () => f.local(V128);
  const [ltv, nltv, thv, epsv, acc] = [v(), v(), v(), v(), v()];
  const [ix, iy, g, u1, u2, rho, bound, fac, div1, div2, valid, n1, n2] = Array.from(
    { length: 13 },
    v,
  );
  f.get(LT).simd(SIMD.f32x4Splat).set(ltv);
  f.get(ltv).simd(SIMD.f32x4Neg).set(nltv);
  f.get(THETA).simd(SIMD.f32x4Splat).set(thv);
  f.f32Const(GRAD_EPSILON).simd(SIMD.f32x4Splat).set(epsv);
  f.f32Const(0).simd(SIMD.f32x4Splat).set(acc);
  const at = (b: number) => f.get(b).get(i).i32Add();
  f.get(START).set(i);
  f.loop(i, END, 16, () => {
    at(IX).load().set(ix);
    at(IY).load().set(iy);
    at(G).load().set(g);
    at(U1).load().set(u1);
    at(U2).load().set(u2);
    // rho = rho_c + ix * u1 + iy * u2; bound = lambda * theta * |grad|^2
    at(RHO).load().get(ix).get(u1).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
    f.get(iy).get(u2).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(rho);
    f.get(ltv).get(g).simd(SIMD.f32x4Mul).set(bound);
    // factor = rho < -bound ? lt : rho > bound ? -lt : grad > eps ? -rho / grad : 0
    f.get(ltv);
    f.get(nltv);
    f.get(rho).simd(SIMD.f32x4Neg).get(g).get(epsv).simd(SIMD.f32x4Max).simd(SIMD.f32x4Div);
    f.get(g).get(epsv).simd(SIMD.f32x4Gt).simd(SIMD.and);
    f.get(rho).get(bound).simd(SIMD.f32x4Gt).simd(SIMD.bitselect);
    f.get(rho).get(bound).simd(SIMD.f32x4Neg).simd(SIMD.f32x4Lt).simd(SIMD.bitselect).set(fac);
    // div p with backward differences (zeros read from the padding)
    at(P11).load();
    at(P11left).load().simd(SIMD.f32x4Sub);
    at(P12).load();
    at(P12up).load().simd(SIMD.f32x4Sub).simd(SIMD.f32x4Add).set(div1);
    at(P21).load();
    at(P21left).load().simd(SIMD.f32x4Sub);
    at(P22).load();
    at(P22up).load().simd(SIMD.f32x4Sub).simd(SIMD.f32x4Add).set(div2);
    at(VALID).load().set(valid);
    // u_new = u + factor * grad I + theta * div p (div masked off the image)
    f.get(u1).get(fac).get(ix).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
    f.get(thv)
      .get(div1)
      .get(valid)
      .simd(SIMD.f32x4Mul)
      .simd(SIMD.f32x4Mul)
      .simd(SIMD.f32x4Add)
      .set(n1);
    f.get(u2).get(fac).get(iy).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
    f.get(thv)
      .get(div2)
      .get(valid)
      .simd(SIMD.f32x4Mul)
      .simd(SIMD.f32x4Mul)
      .simd(SIMD.f32x4Add)
      .set(n2);
    at(U1).get(n1).store();
    at(U2).get(n2).store();
    f.get(n1).get(u1).simd(SIMD.f32x4Sub).tee(n1).get(n1).simd(SIMD.f32x4Mul);
    f.get(n2).get(u2).simd(SIMD.f32x4Sub).tee(n2).get(n2).simd(SIMD.f32x4Mul);
    f.simd(SIMD.f32x4Add).get(acc).simd(SIMD.f32x4Add).set(acc);
  });
  f.get(acc).extractLane(0).get(acc).extractLane(1).f32Add();
  f.get(acc).extractLane(2).f32Add().get(acc).extractLane(3).f32Add();
  return f;
}

/**
 * dual(startBytes, endBytes, arrayBytes, strideBytes, tauOverTheta):
 * p = (p + taut * grad u) / (1 + taut * |grad u|), forward differences masked at the edges.
 */
function dualFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, F32]);
  const [START, END, ARRAY, STRIDE, TAUT] = [0, 1, 2, 3, 4];
  const i = f.local(I32);
  const base = (name: ArrayName) => baseLocal(f, ARRAY, name);
  const [U1, U2, P11, P12, P21, P22, MX, MY] = (
    ['u1', 'u2', 'p11', 'p12', 'p21', 'p22', 'maskX', 'maskY'] as const
  ).map(base);
  const U1down = baseLocal(f, ARRAY, 'u1', () => f.get(STRIDE).i32Add());
  const U2down = baseLocal(f, ARRAY, 'u2', () => f.get(STRIDE).i32Add());
  const v = () => f.local(V128);
  const [tv, one, mx, my, c, gx, gy, ng] = Array.from({ length: 8 }, v);
  f.get(TAUT).simd(SIMD.f32x4Splat).set(tv);
  f.f32Const(1).simd(SIMD.f32x4Splat).set(one);
  const at = (b: number) => f.get(b).get(i).i32Add();
  f.get(START).set(i);
  f.loop(i, END, 16, () => {
    at(MX).load().set(mx);
    at(MY).load().set(my);
    const component = (U: number, Udown: number, PX: number, PY: number) => {
      at(U).load().set(c);
      at(U).load(4).get(c).simd(SIMD.f32x4Sub).get(mx).simd(SIMD.f32x4Mul).set(gx);
      at(Udown).load().get(c).simd(SIMD.f32x4Sub).get(my).simd(SIMD.f32x4Mul).set(gy);
      f.get(one).get(tv);
      f.get(gx).get(gx).simd(SIMD.f32x4Mul).get(gy).get(gy).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
      f.simd(SIMD.f32x4Sqrt).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(ng);
      at(PX);
      at(PX)
        .load()
        .get(tv)
        .get(gx)
        .simd(SIMD.f32x4Mul)
        .simd(SIMD.f32x4Add)
        .get(ng)
        .simd(SIMD.f32x4Div)
        .store();
      at(PY);
      at(PY)
        .load()
        .get(tv)
        .get(gy)
        .simd(SIMD.f32x4Mul)
        .simd(SIMD.f32x4Add)
        .get(ng)
        .simd(SIMD.f32x4Div)
        .store();
    };
    component(U1, U1down, P11, P12);
    component(U2, U2down, P21, P22);
  });
  return f;
}

type PrimalKernel = (
  start: number,
  end: number,
  arrayBytes: number,
  strideBytes: number,
  lt: number,
  theta: number,
) => number;
type DualKernel = (
  start: number,
  end: number,
  arrayBytes: number,
  strideBytes: number,
  taut: number,
) => void;

interface IterationModule {
  memory: WasmMemory;
  primal: PrimalKernel;
  dual: DualKernel;
}

/**
 * One instance per solver: it owns a WebAssembly memory holding u, p and the linearised data
 * term of the current pyramid level, all [height, width] on the padded grid.
 */
export class Tvl1IterationKernel {
  private readonly module = instantiate<IterationModule>(
    'tvl1',
    buildModule({ primal: primalFunction(), dual: dualFunction() }),
  );
  private width = 0;
  private height = 0;
  private stride = 0;
  private arrayFloats = 0;
  private views = new Map<ArrayName, Float32Array>();

  /** Lays out the arrays for a width x height level and zeroes everything (u, p, data). */
  begin(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.stride = width + 1;
    this.arrayFloats = Math.ceil((this.stride * (height + 2) + 8) / 4) * 4;
    const bytes = ARRAYS.length * this.arrayFloats * 4;
    ensureMemory(this.module.memory, bytes);
    const buffer = this.module.memory.buffer;
    new Float32Array(buffer, 0, ARRAYS.length * this.arrayFloats).fill(0);
    this.views = new Map(
      ARRAYS.map((name) => [
        name,
        new Float32Array(buffer, slot(name) * this.arrayFloats * 4, this.arrayFloats),
      ]),
    );
    const valid = this.view('valid');
    const maskX = this.view('maskX');
    const maskY = this.view('maskY');
    for (let y = 0; y < height; y++) {
      const row = (y + 1) * this.stride + 1;
      valid.fill(1, row, row + width);
      maskX.fill(1, row, row + width - 1);
      if (y < height - 1) maskY.fill(1, row, row + width);
    }
  }

  private view(name: ArrayName): Float32Array {
    return this.views.get(name)!;
  }

  /** Copies a dense [height, width] image into the padded array `name`. */
  private scatter(name: ArrayName, dense: Float32Array): void {
    const target = this.view(name);
    const { width, stride } = this;
    for (let y = 0; y < this.height; y++)
      target.set(dense.subarray(y * width, y * width + width), (y + 1) * stride + 1);
  }

  private gather(name: ArrayName, dense: Float32Array): void {
    const source = this.view(name);
    const { width, stride } = this;
    for (let y = 0; y < this.height; y++) {
      const row = (y + 1) * stride + 1;
      dense.set(source.subarray(row, row + width), y * width);
    }
  }

  /** Loads the warped gradient, |grad|^2 and the constant part of rho (dense [height, width]). */
  setDataTerm(
    gradX: Float32Array,
    gradY: Float32Array,
    gradNorm: Float32Array,
    rhoConst: Float32Array,
  ): void {
    this.scatter('ix', gradX);
    this.scatter('iy', gradY);
    this.scatter('grad', gradNorm);
    this.scatter('rho', rhoConst);
  }

  setFlow(u1: Float32Array, u2: Float32Array): void {
    this.scatter('u1', u1);
    this.scatter('u2', u2);
  }

  getFlow(u1: Float32Array, u2: Float32Array): void {
    this.gather('u1', u1);
    this.gather('u2', u2);
  }

  /** Sets the dual variables p to zero (start of a pyramid level, as OpenCV). */
  resetDual(): void {
    for (const name of ['p11', 'p12', 'p21', 'p22'] as const) this.view(name).fill(0);
  }

  /** One primal and one dual step; returns the summed squared change of u. */
  iterate(lambdaTheta: number, theta: number, tauOverTheta: number): number {
    const strideBytes = this.stride * 4;
    const start = strideBytes;
    const end = (this.height + 1) * strideBytes;
    const arrayBytes = this.arrayFloats * 4;
    const error = this.module.primal(start, end, arrayBytes, strideBytes, lambdaTheta, theta);
    this.module.dual(start, end, arrayBytes, strideBytes, tauOverTheta);
    return error;
  }
}
