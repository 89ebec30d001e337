import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { cutFrames, readFrames } from '../../src/video/frameCutter.ts';

function bytes(count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (i * 37 + 11) & 255);
}

async function* chunked(
  data: Uint8Array,
  sizes: number[],
  pulled: { count: number } = { count: 0 },
) {
  let offset = 0;
  let k = 0;
  while (offset < data.length) {
    const size = sizes[k++ % sizes.length]!;
    pulled.count++;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

describe('cutFrames', () => {
  for (const sizes of [[1], [7], [12], [13, 5, 1], [100], [24, 24]]) {
    it(`frameBytes=12, 5 frames, chunks ${JSON.stringify(sizes)}: frames equal the reference slices`, async () => {
      const data = bytes(60);
      const frames: Uint8Array[] = [];
      for await (const frame of cutFrames(chunked(data, sizes), 12)) frames.push(frame);
      expect(frames.length).toBe(5);
      frames.forEach((frame, f) =>
        expect(Array.from(frame)).toEqual(Array.from(data.subarray(f * 12, f * 12 + 12))),
      );
      expect(new Set(frames.map((f) => f.buffer)).size).toBe(5);
    });
  }

  it('reports trailing bytes of an incomplete last frame', async () => {
    const generator = cutFrames(chunked(bytes(30), [7]), 12);
    const results = [];
    let next = await generator.next();
    while (!next.done) {
      results.push(next.value);
      next = await generator.next();
    }
    expect(results.length).toBe(2);
    expect(next.value).toEqual({ trailingBytes: 6 });
  });

  it('pulls lazily (backpressure): one frame of 12 bytes from 5-byte chunks reads 3 chunks', async () => {
    const pulled = { count: 0 };
    const generator = cutFrames(chunked(bytes(1200), [5], pulled), 12);
    await generator.next();
    expect(pulled.count).toBe(3);
    await generator.return({ trailingBytes: 0 });
    expect(pulled.count).toBe(3);
  });
});

describe('readFrames (Node stream, data events)', () => {
  it('frameBytes=12 from 7-byte chunks: frames equal the reference slices, trailing bytes reported', async () => {
    const data = bytes(66);
    const generator = readFrames(Readable.from(chunked(data, [7]), { objectMode: false }), 12);
    const frames: Uint8Array[] = [];
    let next = await generator.next();
    while (!next.done) {
      frames.push(next.value);
      next = await generator.next();
    }
    expect(frames.length).toBe(5);
    frames.forEach((frame, f) =>
      expect(Array.from(frame)).toEqual(Array.from(data.subarray(f * 12, f * 12 + 12))),
    );
    expect(next.value).toEqual({ trailingBytes: 6 });
  });

  it('backpressure: a consumer that stops after 1 frame leaves the source mostly unread', async () => {
    const pulled = { count: 0 };
    async function* many() {
      for (let i = 0; i < 20_000; i++) {
        pulled.count++;
        yield new Uint8Array(1000);
      }
    }
    // 20 000 chunks of 1000 bytes, 1000-byte frames
    const source = Readable.from(many(), { objectMode: false, highWaterMark: 4000 });
    const generator = readFrames(source, 1000, 2);
    await generator.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled.count).toBeLessThan(50);
    await generator.return({ trailingBytes: 0 });
    expect(source.destroyed).toBe(true);
  });
});
