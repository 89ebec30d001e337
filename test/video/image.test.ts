import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, VideoError } from '../../src/errors.ts';
import { readImage, writeImage } from '../../src/video/image.ts';

// src/video/image.ts serves the flow CLI; its tests live with the flow tests that own it.
const dir = await mkdtemp(join(tmpdir(), 'flow-image-'));
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

describe('assemblenet flow (end to end)', () => {
  it('two PNGs [64,64] translated by (2, 1) -> .flo with that flow in the interior', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { readFlo } = await import('../../src/flow/flo.ts');
    const { syntheticFlowPair } = await import('../../src/flow/synthetic.ts');
    const size = 64;
    const pair = syntheticFlowPair({
      width: size,
      height: size,
      motion: { kind: 'translate', dx: 2, dy: 1 },
      seed: 9,
    });
    const toRgb = (gray: Float32Array) => {
      const rgb = new Uint8Array(gray.length * 3);
      for (let i = 0; i < gray.length; i++)
        rgb.fill(Math.max(0, Math.min(255, Math.round(gray[i]))), 3 * i, 3 * i + 3);
      return rgb;
    };
    const a = join(dir, 'f1.png');
    const b = join(dir, 'f2.png');
    await writeImage(a, { width: size, height: size, rgb: toRgb(pair.prev) });
    await writeImage(b, { width: size, height: size, rgb: toRgb(pair.next) });
    const out = join(dir, 'out.flo');
    const cli = join(import.meta.dirname, '../../bin/assemblenet.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'flow',
      a,
      b,
      '--out',
      out,
      '--json',
    ]);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ method: 'tvl1', width: size, height: size });
    const field = await readFlo(out);
    expect([field.width, field.height]).toEqual([size, size]);
    let du = 0;
    let dv = 0;
    let count = 0;
    for (let y = 12; y < size - 12; y++) {
      for (let x = 12; x < size - 12; x++) {
        du += field.flow[2 * (y * size + x)];
        dv += field.flow[2 * (y * size + x) + 1];
        count++;
      }
    }
    expect(du / count).toBeCloseTo(2, 1);
    expect(dv / count).toBeCloseTo(1, 1);
  });
});
