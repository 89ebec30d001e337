import { describe, expect, it } from 'vitest';
import { runInLanes } from '../../src/index.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('runInLanes', () => {
  it('runs every item once, never more than `concurrency` at a time', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await runInLanes([10, 11, 12, 13, 14], 2, async (item, index) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(item - 10);
      expect(item - 10).toBe(index);
      running--;
    });
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('after a failure starts nothing new, lets running work settle, rethrows the first error', async () => {
    const finished: number[] = [];
    const started: number[] = [];
    await expect(
      runInLanes([0, 1, 2, 3, 4], 2, async (item) => {
        started.push(item);
        await tick();
        if (item === 0) throw new Error('item 0 failed');
        await tick();
        finished.push(item);
      }),
    ).rejects.toThrow('item 0 failed');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });
});
