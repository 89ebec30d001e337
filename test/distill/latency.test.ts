/** parseLatency, measured latency statistics (fake clock-free runs), the per-(arch, backend, shape) cache. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { tf } from '../../src/engine/tf.ts';
import {
  measureLatency,
  measureStudentLatency,
  parseLatency,
  parseStudent,
} from '../../src/index.ts';

let dir: string;
const arch = parseStudent({
  name: 'lat',
  frames: 2,
  resolution: 16,
  stem: { filters: 4 },
  stages: [{ repeats: 1, filters: 8, stride: 2, expand: 2, kernels: [3], temporalKernel: 3 }],
});

describe('latency', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'latency-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parseLatency', () => {
    expect(parseLatency('30ms')).toBe(30);
    expect(parseLatency('0.5s')).toBe(500);
    expect(parseLatency('250us')).toBe(0.25);
    expect(parseLatency('12')).toBe(12);
    expect(() => parseLatency('fast')).toThrow(/30ms/);
    expect(() => parseLatency('0ms')).toThrow(/positive/);
  });

  it('median and p90 of the timed runs, plus the extra per-clip cost; warm-up runs not timed', async () => {
    let calls = 0;
    const result = await measureLatency(
      () => {
        calls++;
        const start = performance.now();
        while (performance.now() - start < 2); // ~2 ms of work
        return tf.zeros([1, 3]) as tf.Tensor2D;
      },
      { warmup: 2, runs: 5, extraMsPerClip: 10 },
    );
    expect(calls).toBe(7);
    expect(result.runsMs).toHaveLength(5);
    const sorted = [...result.runsMs].sort((a, b) => a - b);
    expect(result.medianMs).toBeCloseTo(sorted[2] + 10, 9);
    expect(result.p90Ms).toBeGreaterThanOrEqual(result.medianMs);
    expect(sorted[0]).toBeGreaterThanOrEqual(2);
    expect(result.backend).toBe('wasm');
  });

  it('measures a student once per (arch, backend, shape) and serves the cache after', async () => {
    const cacheFile = join(dir, 'latency.json');
    const first = await measureStudentLatency(arch, {
      numClasses: 3,
      cacheFile,
      warmup: 1,
      runs: 3,
    });
    expect(first.cached).toBe(false);
    expect(first.inputShape).toBe('rgb:2x16x16x3');
    const second = await measureStudentLatency(arch, {
      numClasses: 3,
      cacheFile,
      warmup: 1,
      runs: 3,
      extraMsPerClip: 4,
    });
    expect(second.cached).toBe(true);
    expect(second.medianMs).toBeCloseTo(first.medianMs + 4, 9);
    const other = await measureStudentLatency(parseStudent({ ...arch, resolution: 24 }), {
      numClasses: 3,
      cacheFile,
      warmup: 1,
      runs: 3,
    });
    expect(other.cached).toBe(false);
    expect(Object.keys(JSON.parse(await readFile(cacheFile, 'utf8')))).toHaveLength(2);
  });
});
