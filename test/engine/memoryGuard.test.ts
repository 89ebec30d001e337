/**
 * The guard on the real wasm backend with a low limit (64 MiB), so nothing near 4 GiB is
 * allocated. Expected numbers are computed by hand from the shapes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import {
  assertWorkingSet,
  checkMemory,
  DEFAULT_WASM_HEAP_LIMIT_BYTES,
  estimateActivationBytes,
  formatBytes,
  heapLimitBytes,
  memoryStatus,
  parseByteSize,
  setHeapLimit,
  WASM_HEAP_LIMIT_ENV,
} from '../../src/engine/memoryGuard.ts';
import { EngineError } from '../../src/errors.ts';

const MiB = 2 ** 20;

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});
afterEach(() => {
  setHeapLimit(undefined);
  delete process.env[WASM_HEAP_LIMIT_ENV];
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('estimateActivationBytes', () => {
  it('[2*8,32,32,64] + [2,8,1024,64] float32 = 2 * 1048576 elements * 4 B', () => {
    expect(
      estimateActivationBytes([
        [16, 32, 32, 64],
        [2, 8, 1024, 64],
      ]),
    ).toBe(2 * 1048576 * 4);
  });
  it('copies and bytesPerElement multiply; an empty plan is 0', () => {
    expect(estimateActivationBytes([[10, 10]], { copies: 3, bytesPerElement: 1 })).toBe(300);
    expect(estimateActivationBytes([])).toBe(0);
  });
  it('rejects bad dimensions', () => {
    expect(() => estimateActivationBytes([[2, -1]])).toThrow(
      /non-negative integer dimensions, got \[2, -1\]/,
    );
  });
});

describe('limit', () => {
  it('defaults to 3.5 GiB; env and setHeapLimit override, in that order', () => {
    expect(heapLimitBytes()).toBe(DEFAULT_WASM_HEAP_LIMIT_BYTES);
    process.env[WASM_HEAP_LIMIT_ENV] = '512MiB';
    expect(heapLimitBytes()).toBe(512 * MiB);
    setHeapLimit(64 * MiB);
    expect(heapLimitBytes()).toBe(64 * MiB);
  });
  it('parses sizes and rejects nonsense', () => {
    expect(parseByteSize('3.5GiB')).toBe(3.5 * 2 ** 30);
    expect(parseByteSize('1024')).toBe(1024);
    expect(parseByteSize('2 kib')).toBe(2048);
    expect(() => parseByteSize('3.5 GB', 'the limit')).toThrow(
      /expected the limit as bytes .*got "3.5 GB"/,
    );
    expect(() => setHeapLimit(5 * 2 ** 30)).toThrow(EngineError);
  });
  it('formats sizes the way messages show them', () => {
    expect(formatBytes(3.9 * 2 ** 30)).toBe('3.9 GiB');
    expect(formatBytes(48 * MiB)).toBe('48.0 MiB');
    expect(formatBytes(12)).toBe('12 B');
  });
});

describe('checkMemory on wasm', () => {
  it('reads live bytes and the heap size', () => {
    const before = memoryStatus();
    const tensor = tf.zeros([(4 * MiB) / 4]); // 4 MiB
    const after = memoryStatus();
    expect(after.backend).toBe('wasm');
    expect(after.guarded).toBe(true);
    expect(after.liveBytes - before.liveBytes).toBe(4 * MiB);
    expect(after.heapBytes).toBeGreaterThanOrEqual(after.liveBytes);
    tensor.dispose();
  });

  it('passes under the limit, throws before the limit with the plan in the message', () => {
    const heap = memoryStatus().heapBytes!;
    setHeapLimit(heap + 64 * MiB);
    const held = tf.zeros([(16 * MiB) / 4]); // 16 MiB live
    try {
      const live = memoryStatus().liveBytes;
      expect(() => checkMemory(8 * MiB, 'a small step')).not.toThrow();
      const planned = heap + 64 * MiB - live + MiB; // 1 MiB over the limit
      let error: unknown;
      try {
        checkMemory(planned, 'block 3 of the RGB stream');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(EngineError);
      const message = (error as Error).message;
      expect(message).toContain(
        `engine: the wasm heap would grow to ${formatBytes(live + planned)} (limit ${formatBytes(heap + 64 * MiB)}) ` +
          'while building block 3 of the RGB stream; lower --batch/--frames/--size or use --backend tensorflow',
      );
      expect(message).toContain(
        `live tensors ${formatBytes(live)} + planned ${formatBytes(planned)}`,
      );
    } finally {
      held.dispose();
    }
  });

  it('assertWorkingSet plans from shapes: [8,64,64,256] float32 x3 = 96 MiB over a 64 MiB budget', () => {
    const heap = memoryStatus().heapBytes!;
    setHeapLimit(heap + 64 * MiB);
    expect(() => assertWorkingSet('a training step', [[8, 64, 64, 256]], { copies: 3 })).toThrow(
      /would grow to .* while building a training step/,
    );
    expect(() => assertWorkingSet('inference', [[8, 64, 64, 64]])).not.toThrow(); // 8 MiB
  });

  it('a heap that already grew past the limit fails every check (it never shrinks)', () => {
    const heap = memoryStatus().heapBytes!;
    setHeapLimit(heap - MiB);
    expect(() => checkMemory(0, 'the next clip')).toThrow(
      new RegExp(`the wasm heap has already grown to ${formatBytes(heap)} .* before the next clip`),
    );
  });

  it('is not enforced off wasm', async () => {
    await tf.setBackend('cpu');
    try {
      setHeapLimit(1);
      const status = checkMemory(10 * 2 ** 30, 'anything');
      expect(status).toMatchObject({ backend: 'cpu', guarded: false, heapBytes: null });
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
