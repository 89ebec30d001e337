import { describe, expect, it } from 'vitest';
import { mapConcurrent, prefetch } from '../../src/train/prefetch.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An async source that records how many items it produced and whether it was closed. */
function countingSource(count: number, delayMs = 0) {
  const log = { produced: 0, closed: false };
  async function* generate() {
    try {
      for (let i = 0; i < count; i++) {
        if (delayMs) await sleep(delayMs);
        log.produced++;
        yield i;
      }
    } finally {
      log.closed = true;
    }
  }
  return { log, items: generate() };
}

describe('prefetch', () => {
  it('keeps order; depth 0 passes through; sync iterables work', async () => {
    const { items } = countingSource(10);
    const got: number[] = [];
    for await (const item of prefetch(items, 3)) got.push(item);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const direct: number[] = [];
    for await (const item of prefetch([1, 2, 3], 0)) direct.push(item);
    expect(direct).toEqual([1, 2, 3]);
    const sync: number[] = [];
    for await (const item of prefetch([4, 5], 2)) sync.push(item);
    expect(sync).toEqual([4, 5]);
  });

  it('reads exactly `depth` items ahead while the consumer is busy', async () => {
    const { log, items } = countingSource(20);
    const iterator = prefetch(items, 4)[Symbol.asyncIterator]();
    await iterator.next(); // consumer holds item 0
    await sleep(20);
    expect(log.produced).toBe(5); // item 0 handed out + 4 buffered
    await iterator.return(undefined);
  });

  it('overlaps producing and consuming: the next item is produced while the consumer still holds one', async () => {
    // The producer of item i+1 and the consumer of item i wait for each other: without
    // read-ahead this order cannot happen (the source is only pulled after the consumer returns).
    const produced: ((value: void) => void)[] = [];
    const producedSignals = Array.from(
      { length: 5 },
      (_, i) => new Promise<void>((resolve) => (produced[i] = resolve)),
    );
    async function* source() {
      for (let i = 0; i < 5; i++) {
        produced[i]!();
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const item of prefetch(source(), 1)) {
      if (item < 4) {
        const next = await Promise.race([
          producedSignals[item + 1]!.then(() => 'produced'),
          sleep(5_000).then(() => 'not produced'),
        ]);
        expect(next, `item ${item + 1} while the consumer holds ${item}`).toBe('produced');
      }
      seen.push(item);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('early break disposes read-ahead items and closes the source', async () => {
    const { log, items } = countingSource(100);
    const disposed: number[] = [];
    for await (const item of prefetch(items, 3, { dispose: (x) => disposed.push(x) })) {
      if (item === 1) {
        await sleep(10); // let the buffer fill
        break;
      }
    }
    expect(disposed).toEqual([2, 3, 4]);
    expect(log.closed).toBe(true);
    expect(log.produced).toBe(5);
  });

  it('delivers items produced before a source error, then throws it', async () => {
    async function* failing() {
      yield 1;
      yield 2;
      throw new Error('decode failed: clip 3');
    }
    const got: number[] = [];
    await expect(async () => {
      for await (const item of prefetch(failing(), 4)) got.push(item);
    }).rejects.toThrow('decode failed: clip 3');
    expect(got).toEqual([1, 2]);
  });
});

describe('mapConcurrent', () => {
  it('keeps source order with out-of-order completion and runs calls concurrently', async () => {
    let running = 0;
    let peak = 0;
    const delays = [40, 5, 25, 5, 10, 1];
    const got: string[] = [];
    for await (const value of mapConcurrent(
      delays,
      async (ms, i) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(ms);
        running--;
        return `${i}:${ms}`;
      },
      3,
    )) {
      got.push(value);
    }
    expect(got).toEqual(['0:40', '1:5', '2:25', '3:5', '4:10', '5:1']);
    expect(peak).toBe(3);
  });

  it('disposes results in flight when the consumer stops, and surfaces errors in order', async () => {
    const disposed: number[] = [];
    for await (const value of mapConcurrent([0, 1, 2, 3, 4], async (x) => x * 10, 3, {
      dispose: (v) => disposed.push(v),
    })) {
      if (value === 0) break;
    }
    await sleep(5);
    expect(disposed.sort((a, b) => a - b)).toEqual([10, 20]);
    const got: number[] = [];
    await expect(async () => {
      for await (const value of mapConcurrent(
        [1, 2, 3],
        async (x) => {
          if (x === 2) throw new Error('worker crashed on 2');
          return x;
        },
        2,
      ))
        got.push(value);
    }).rejects.toThrow('worker crashed on 2');
    expect(got).toEqual([1]);
  });
});
