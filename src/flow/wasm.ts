/**
 * A minimal WebAssembly binary writer for the flow kernels (median filter, TV-L1 iteration):
 * one memory, a few exported functions, i32/f32/v128 values, straight-line SIMD code in a
 * counted loop. Just enough to emit the hot loops without a compiler toolchain; every kernel
 * built with it is tested against a plain JavaScript reference.
 */
import { EngineError } from '../errors.ts';

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let more = true;
  while (more) {
    let byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) more = false;
    else byte |= 0x80;
    out.push(byte);
  }
  return out;
}

/** SIMD opcodes used here (after the 0xfd prefix). */
export const SIMD = {
  load: 0x00,
  store: 0x0b,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  and: 0x4e,
  bitselect: 0x52,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
} as const;

/** Emits one function body; locals are numbered after the parameters. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(
    readonly params: number[],
    readonly results: number[] = [],
  ) {}

  /** Declares a local of `type`, returning its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  get(index: number): this {
    this.code.push(0x20, ...uleb(index));
    return this;
  }

  set(index: number): this {
    this.code.push(0x21, ...uleb(index));
    return this;
  }

  tee(index: number): this {
    this.code.push(0x22, ...uleb(index));
    return this;
  }

  i32Const(value: number): this {
    this.code.push(0x41, ...sleb(value));
    return this;
  }

  f32Const(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    this.code.push(0x43, ...bytes);
    return this;
  }

  i32Sub(): this {
    this.code.push(0x6b);
    return this;
  }

  i32Add(): this {
    this.code.push(0x6a);
    return this;
  }

  f32Add(): this {
    this.code.push(0x92);
    return this;
  }

  simd(opcode: number): this {
    this.code.push(0xfd, ...uleb(opcode));
    return this;
  }

  /** v128.load from the address on the stack plus a constant byte offset. */
  load(offset = 0): this {
    this.code.push(0xfd, ...uleb(SIMD.load), 0, ...uleb(offset));
    return this;
  }

  /** v128.store (address, value on the stack) at a constant byte offset. */
  store(offset = 0): this {
    this.code.push(0xfd, ...uleb(SIMD.store), 0, ...uleb(offset));
    return this;
  }

  extractLane(lane: number): this {
    this.code.push(0xfd, ...uleb(SIMD.f32x4ExtractLane), lane);
    return this;
  }

  /** `for (i = start; i < end; i += step) body()`, with i, end i32 locals. */
  loop(i: number, end: number, step: number, body: () => void): this {
    this.code.push(0x02, 0x40, 0x03, 0x40); // block, loop
    this.get(i).get(end);
    this.code.push(0x4f, 0x0d, 1); // i32.ge_u, br_if 1 (leave the block)
    body();
    this.get(i).i32Const(step).i32Add().set(i);
    this.code.push(0x0c, 0, 0x0b, 0x0b); // br 0, end loop, end block
    return this;
  }

  /** The encoded body: locals then code. */
  encode(): number[] {
    const groups: [number, number][] = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body = [
      ...uleb(groups.length),
      ...groups.flatMap(([n, t]) => [...uleb(n), t]),
      ...this.code,
      0x0b,
    ];
    return [...uleb(body.length), ...body];
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

/** A module with one exported memory ("memory") and the given exported functions. */
export function buildModule(functions: Record<string, FunctionBuilder>): Uint8Array {
  const entries = Object.entries(functions);
  const types = entries.map(([, f]) => [
    0x60,
    ...uleb(f.params.length),
    ...f.params,
    ...uleb(f.results.length),
    ...f.results,
  ]);
  const exports = entries.flatMap(([fname], index) => [...name(fname), 0x00, ...uleb(index)]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(3, [...uleb(entries.length), ...entries.flatMap((_, index) => uleb(index))]),
    ...section(5, [...uleb(1), 0x00, ...uleb(1)]),
    ...section(7, [...uleb(entries.length + 1), ...exports, ...name('memory'), 0x02, 0]),
    ...section(10, [...uleb(entries.length), ...entries.flatMap(([, f]) => f.encode())]),
  ]);
}

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Compiles and instantiates `bytes`, failing with an EngineError that names `component`. */
export function instantiate<T>(component: string, bytes: Uint8Array): T & { memory: WasmMemory } {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes));
    return instance.exports as T & { memory: WasmMemory };
  } catch (error) {
    throw new EngineError(
      `${component}: expected WebAssembly SIMD support, got ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Grows `memory` to hold at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}
