import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, VideoError } from '../../src/errors.ts';
import { readImage, writeImage } from '../../src/video/image.ts';

const dir = await mkdtemp(join(tmpdir(), 'video-image-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function pattern(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = (x * 7) & 255;
      rgb[i + 1] = (y * 11) & 255;
      rgb[i + 2] = (x * y) & 255;
    }
  }
  return rgb;
}

describe('image IO through ffmpeg', () => {
  it('PNG round trip [12,20] is lossless', async () => {
    const rgb = pattern(20, 12);
    const path = join(dir, 'a:b.png'); // a colon must not be read as a protocol
    await writeImage(path, { width: 20, height: 12, rgb });
    const back = await readImage(path);
    expect(back.width).toBe(20);
    expect(back.height).toBe(12);
    expect(Buffer.from(back.rgb).equals(Buffer.from(rgb))).toBe(true);
  });

  it('JPEG round trip [32,32] is close', async () => {
    const rgb = new Uint8Array(32 * 32 * 3).fill(0).map((_, i) => 100 + ((i / 3) % 32));
    const path = join(dir, 'b.jpg');
    await writeImage(path, { width: 32, height: 32, rgb });
    const back = await readImage(path);
    let diff = 0;
    for (let i = 0; i < rgb.length; i++) diff += Math.abs(back.rgb[i] - rgb[i]);
    expect(diff / rgb.length).toBeLessThan(4);
  });

  it('missing and corrupt files fail clearly', async () => {
    await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(InputError);
    await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(/readable file, got ENOENT/);
    const junk = join(dir, 'junk.png');
    await writeFile(junk, 'this is not an image');
    await expect(readImage(junk)).rejects.toThrow(VideoError);
    await expect(
      writeImage(join(dir, 'c.png'), { width: 2, height: 2, rgb: new Uint8Array(5) }),
    ).rejects.toThrow(/2x2x3 = 12/);
  });
});
