// `assemblenet flow`: two images in (read through src/video/image.ts), a .flo out.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeImage } from '../../src/video/image.ts';

const dir = await mkdtemp(join(tmpdir(), 'flow-cli-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

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
