/**
 * Cuts fixed-size frames out of a byte stream whose chunks have arbitrary boundaries.
 * Each frame gets its own buffer (the caller may keep it); every byte is copied once.
 */
import type { Readable } from 'node:stream';

export class FrameCutter {
  private frame: Uint8Array;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes < 1) {
      throw new RangeError(
        `FrameCutter: expected frameBytes a positive integer, got ${frameBytes}`,
      );
    }
    this.frame = new Uint8Array(frameBytes);
  }

  /** Adds a chunk; calls `emit` for every frame it completes. */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.frame.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        emit(this.frame);
        this.frame = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
  }

  /** Bytes of an incomplete frame held so far (0 after a clean end). */
  get trailingBytes(): number {
    return this.filled;
  }
}

/** Frames from an async iterable of chunks, pulled one chunk at a time (nothing read ahead). */
export async function* cutFrames(
  chunks: AsyncIterable<Uint8Array>,
  frameBytes: number,
): AsyncGenerator<Uint8Array, { trailingBytes: number }> {
  const cutter = new FrameCutter(frameBytes);
  const ready: Uint8Array[] = [];
  for await (const chunk of chunks) {
    cutter.push(chunk, (frame) => ready.push(frame));
    while (ready.length) yield ready.shift()!;
  }
  return { trailingBytes: cutter.trailingBytes };
}

/**
 * Frames from a Node stream (e.g. ffmpeg's stdout), with backpressure: the stream is paused
 * while `maxQueued` frames wait for the consumer, so the producer blocks on a full pipe.
 * Works on 'data' events (one promise per frame, not per chunk: cheaper than async iteration).
 * Ending the loop early destroys the stream.
 */
export async function* readFrames(
  stream: Readable,
  frameBytes: number,
  maxQueued = 2,
): AsyncGenerator<Uint8Array, { trailingBytes: number }> {
  const cutter = new FrameCutter(frameBytes);
  const ready: Uint8Array[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onData = (chunk: Uint8Array) => {
    cutter.push(chunk, (frame) => ready.push(frame));
    if (ready.length >= maxQueued) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: Error) => {
    failure = error;
    notify();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('close', onEnd);
  stream.once('error', onError);
  try {
    for (;;) {
      if (failure) throw failure;
      const frame = ready.shift();
      if (frame) {
        if (ready.length < maxQueued && stream.isPaused() && !ended) stream.resume();
        yield frame;
        continue;
      }
      if (ended) break;
      if (stream.isPaused()) stream.resume();
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return { trailingBytes: cutter.trailingBytes };
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onError);
    if (!ended) stream.destroy();
  }
}
