import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVideoWriter, InputError, VideoError, type VideoCodec } from '../../src/index.ts';
import { decodeFrames, probeVideo } from './ffmpegFrames.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-encode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Frame t: a flat colour that changes with t, so decode can be checked against it. */
function colourOf(t: number): [number, number, number] {
  return [40 + 20 * t, 200 - 15 * t, 60 + ((t * 37) % 120)];
}

describe('createVideoWriter', () => {
  const cases: [VideoCodec, string, string][] = [
    ['h264', 'mp4', 'h264'],
    ['vp9', 'webm', 'vp9'],
    ['mpeg4', 'mp4', 'mpeg4'],
    ['mjpeg', 'avi', 'mjpeg'],
  ];
  for (const [codec, ext, probed] of cases) {
    it(`codec=${codec} 32x24 frames=6: probes as ${probed} and decodes to the colours written`, async () => {
      const out = join(dir, `flat-${codec}.${ext}`);
      const writer = createVideoWriter({ out, width: 32, height: 24, fps: 10, codec });
      const frame = new Uint8Array(32 * 24 * 3);
      for (let t = 0; t < 6; t++) {
        const rgb = colourOf(t);
        for (let i = 0; i < frame.length; i++) frame[i] = rgb[i % 3];
        await writer.write(frame); // the writer copies: reusing the buffer is allowed
      }
      expect(existsSync(out)).toBe(false); // atomic: only the temporary file exists before close
      expect(await writer.close()).toBe(out);
      const stream = probeVideo(out);
      expect([stream.codec_name, stream.width, stream.height]).toEqual([probed, 32, 24]);
      const frames = decodeFrames(out, 32, 24);
      expect(frames).toHaveLength(6);
      frames.forEach((decoded, t) => {
        const mean = [0, 1, 2].map(
          (c) => decoded.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / (32 * 24),
        );
        mean.forEach((value, c) => expect(Math.abs(value - colourOf(t)[c])).toBeLessThan(6));
      });
    });
  }

  it('rejects odd sizes for h264 and frames of the wrong size', async () => {
    expect(() =>
      createVideoWriter({
        out: join(dir, 'odd.mp4'),
        width: 33,
        height: 24,
        fps: 10,
        codec: 'h264',
      }),
    ).toThrow(/expected even width and height for h264, got 33x24/);
    const writer = createVideoWriter({
      out: join(dir, 'size.mp4'),
      width: 16,
      height: 16,
      fps: 10,
      codec: 'h264',
    });
    await expect(writer.write(new Uint8Array(10))).rejects.toBeInstanceOf(InputError);
    await writer.abort();
    expect(readdirSync(dir).filter((name) => name.includes('size'))).toEqual([]);
  });

  it("rejects with ffmpeg's stderr when ffmpeg fails, leaving no file behind", async () => {
    const out = join(dir, 'bad.unknownext');
    const writer = createVideoWriter({ out, width: 16, height: 16, fps: 10, codec: 'h264' });
    const run = async () => {
      for (let t = 0; t < 200; t++) await writer.write(new Uint8Array(16 * 16 * 3));
      await writer.close();
    };
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideoError);
    expect((error as Error).message).toMatch(/Unable to find a suitable output format/);
    expect(readdirSync(dir).filter((name) => name.includes('bad'))).toEqual([]);
  });

  it('applies backpressure: 120 frames of 256x256 all arrive', async () => {
    const out = join(dir, 'big.mp4');
    const writer = createVideoWriter({ out, width: 256, height: 256, fps: 25, codec: 'h264' });
    const frame = new Uint8Array(256 * 256 * 3);
    for (let t = 0; t < 120; t++) {
      frame.fill(t * 2);
      await writer.write(frame);
    }
    await writer.close();
    expect(probeVideo(out).nb_frames).toBe('120');
  });
});
