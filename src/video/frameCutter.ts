/**
 * Cuts fixed-size frames out of a byte stream whose chunks have arbitrary boundaries.
 * Each frame gets its own buffer (the caller may keep it); a chunk is copied once.
 * Pulling from an async iterable of chunks keeps backpressure: nothing is read ahead.
 */
export async function* cutFrames(
  chunks: AsyncIterable<Uint8Array>,
  frameBytes: number,
): AsyncGenerator<Uint8Array, { trailingBytes: number }> {
  if (!Number.isInteger(frameBytes) || frameBytes < 1) {
    throw new RangeError(`cutFrames: expected frameBytes a positive integer, got ${frameBytes}`);
  }
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  for await (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frameBytes - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === frameBytes) {
        yield frame;
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
  }
  return { trailingBytes: filled };
}
