import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.ts';
import { WorkerPool, WorkerTaskError } from '../../src/workers/pool.ts';
import type { ProbeTask, WhoAmI } from './fixtures/probeTask.ts';

const taskModule = new URL('./fixtures/probeTask.ts', import.meta.url);

describe('WorkerPool (piscina + tsx task modules)', () => {
  let pool: WorkerPool<ProbeTask, unknown>;
  beforeAll(() => {
    pool = new WorkerPool<ProbeTask, unknown>({ workers: 2, taskModule });
  });
  afterAll(async () => {
    await pool.destroy();
  });

  it('runs TypeScript tasks on both workers, each worker loading the task module once', async () => {
    // Rounds of 8 busy tasks until both threads have answered: a second worker that is still
    // starting on a loaded machine would otherwise leave every task to the first one.
    const results: WhoAmI[] = [];
    for (let round = 0; round < 20 && new Set(results.map((r) => r.threadId)).size < 2; round++)
      results.push(
        ...((await Promise.all(
          Array.from({ length: 8 }, () => pool.run({ mode: 'whoami', busyMs: 60 })),
        )) as WhoAmI[]),
      );
    const threads = new Set(results.map((r) => r.threadId));
    expect(threads.size).toBe(2);
    for (const result of results) expect(result.moduleLoads).toBe(1);
    // per thread, the handled counter grows: the module state survives between tasks
    for (const thread of threads) {
      const handled = results.filter((r) => r.threadId === thread).map((r) => r.handled);
      expect(Math.max(...handled)).toBeGreaterThan(1);
    }
  });

  it('moves result buffers without copying (the worker-side buffer is detached)', async () => {
    const single = new WorkerPool<ProbeTask, unknown>({ workers: 1, taskModule });
    const result = (await single.run({ mode: 'bytes', length: 1 << 20, seed: 7 })) as {
      bytes: Uint8Array;
    };
    // the worker kept a reference to what it sent: moved, so now 0 bytes long there
    const after = (await single.run({ mode: 'lastSentByteLength' })) as { byteLength: number };
    await single.destroy();
    expect(after.byteLength).toBe(0);
    expect(result.bytes.length).toBe(1 << 20);
    // hand-computed pattern at a few positions
    for (const i of [0, 1, 1000, (1 << 20) - 1]) expect(result.bytes[i]).toBe((i * 31 + 7) & 255);
  });

  it('moves task buffers into the worker: the source buffer is detached here', async () => {
    const data = new Uint8Array(4096).fill(3);
    const sum = await pool.run({ mode: 'sum', data }, { transfer: [data.buffer] });
    expect(sum).toBe(4096 * 3);
    expect(data.buffer.byteLength).toBe(0);
    expect(data.length).toBe(0);
  });

  it('a task that throws fails alone, with its typed error naming the video', async () => {
    const outcomes = await Promise.allSettled([
      pool.run({ mode: 'throw', video: '/videos/bad.mp4' }, { label: '/videos/bad.mp4' }),
      pool.run({ mode: 'sleep', ms: 20 }),
      pool.run({ mode: 'whoami' }),
    ]);
    expect(outcomes[0].status).toBe('rejected');
    const error = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(VideoError);
    expect(String(error.message)).toContain('/videos/bad.mp4');
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'slept' });
    expect(outcomes[2].status).toBe('fulfilled');
  });

  it('a worker that exits fails only its task; the pool replaces it and goes on', async () => {
    const outcomes = await Promise.allSettled([
      pool.run({ mode: 'exit', code: 3 }, { label: '/videos/crash.mp4' }),
      pool.run({ mode: 'sleep', ms: 50 }),
    ]);
    expect(outcomes[0].status).toBe('rejected');
    const error = (outcomes[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect(error.message).toContain('/videos/crash.mp4');
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'slept' });
    const after = (await Promise.all([
      pool.run({ mode: 'whoami', busyMs: 40 }),
      pool.run({ mode: 'whoami', busyMs: 40 }),
    ])) as WhoAmI[];
    expect(new Set(after.map((r) => r.threadId)).size).toBe(2);
  });

  it('cancels a running task and a queued one with an AbortSignal', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const started = Date.now();
    const first = pool.run(
      { mode: 'sleep', ms: 5000 },
      { signal: running.signal, label: 'long-a' },
    );
    const second = pool.run(
      { mode: 'sleep', ms: 5000 },
      { signal: queued.signal, label: 'long-b' },
    );
    const third = pool.run({ mode: 'sleep', ms: 5000 }, { signal: queued.signal, label: 'long-c' });
    setTimeout(() => {
      running.abort();
      queued.abort();
    }, 100);
    for (const promise of [first, second, third]) {
      await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    }
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pool.run({ mode: 'sleep', ms: 1 })).toBe('slept');
  });
});
