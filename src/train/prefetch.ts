/**
 * Read-ahead for data pipelines: while the training step computes, the next items are already
 * being produced (decoded or flow-computed in worker threads), so data and compute overlap.
 */
import { InputError } from '../errors.ts';

export interface PrefetchOptions<T> {
  /** Called for items read ahead but never handed out (consumer stopped early). */
  dispose?: (item: T) => void;
}

type AnyIterable<T> = AsyncIterable<T> | Iterable<T>;

function iteratorOf<T>(source: AnyIterable<T>): AsyncIterator<T> | Iterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  return source[Symbol.iterator]();
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InputError(`prefetch: expected ${name} to be an integer >= 0, got ${value}`);
  }
}

/**
 * Yields the items of `source` in order, keeping up to `depth` of them produced ahead of the
 * consumer. `depth` 0 passes items through. An error of the source reaches the consumer after
 * the items produced before it. Stopping early (break) disposes the read-ahead items and
 * closes the source.
 */
export async function* prefetch<T>(
  source: AnyIterable<T>,
  depth: number,
  options: PrefetchOptions<T> = {},
): AsyncGenerator<T, void, undefined> {
  checkCount('depth', depth);
  if (depth === 0) {
    yield* source;
    return;
  }
  const iterator = iteratorOf(source);
  const buffer: T[] = [];
  let finished = false; // the producer stopped (source exhausted, failed, or we stopped it)
  let exhausted = false; // the source said done or threw: no return() needed
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const signalConsumer = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };

  const producer = (async () => {
    try {
      while (!stopped) {
        if (buffer.length >= depth) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const result = await iterator.next();
        if (result.done) {
          exhausted = true;
          break;
        }
        if (stopped) {
          options.dispose?.(result.value);
          break;
        }
        buffer.push(result.value);
        signalConsumer();
      }
    } catch (error) {
      exhausted = true;
      failure = { error };
    } finally {
      finished = true;
      signalConsumer();
    }
  })();

  try {
    for (;;) {
      if (buffer.length > 0) {
        const item = buffer.shift() as T;
        wakeProducer?.();
        wakeProducer = undefined;
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    await producer;
    for (const item of buffer.splice(0)) options.dispose?.(item);
    if (!exhausted) await iterator.return?.();
  }
}

/**
 * Maps `source` through an async `transform` with up to `concurrency` calls in flight and
 * yields the results in source order (for example: clip descriptor -> decoded batch in a
 * worker pool). Results not handed out when the consumer stops are passed to `dispose`.
 */
export async function* mapConcurrent<T, U>(
  source: AnyIterable<T>,
  transform: (item: T, index: number) => Promise<U> | U,
  concurrency: number,
  options: PrefetchOptions<U> = {},
): AsyncGenerator<U, void, undefined> {
  checkCount('concurrency', concurrency);
  if (concurrency < 1)
    throw new InputError(`prefetch: expected concurrency >= 1, got ${concurrency}`);
  const iterator = iteratorOf(source);
  const pending: Promise<U>[] = [];
  let index = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < concurrency) {
        const result = await iterator.next();
        if (result.done) {
          exhausted = true;
          break;
        }
        const itemIndex = index++;
        const running = Promise.resolve().then(() => transform(result.value, itemIndex));
        running.catch(() => undefined); // surfaced when its turn comes; avoids unhandled rejections
        pending.push(running);
      }
      const next = pending.shift();
      if (!next) return;
      yield await next;
    }
  } finally {
    for (const running of pending.splice(0)) {
      running.then(
        (value) => options.dispose?.(value),
        () => undefined,
      );
    }
    if (!exhausted) await iterator.return?.();
  }
}
