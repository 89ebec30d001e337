import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../pipelines/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-dataset-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await (await buildProgram()).parseAsync(['node', 'assemblenet', ...args]);
  return out;
}

describe('assemblenet dataset', () => {
  it('generate writes the set and prints a summary; inspect counts per class and split', async () => {
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        kind: 'motion',
        name: 'cli-motion',
        video: { width: 16, height: 16, frames: 4, fps: 4 },
        videosPerClass: 2,
        splits: { train: 0.5, val: 0, test: 0.5 },
        classes: [
          { name: 'up', motion: { kind: 'translate', direction: 90, speed: 1 } },
          { name: 'down', motion: { kind: 'translate', direction: 270, speed: 1 } },
        ],
      }),
    );
    const out = join(dir, 'set');
    const generated = await run([
      'dataset',
      'generate',
      spec,
      '--out',
      out,
      '--seed',
      '3',
      '--json',
    ]);
    const summary = JSON.parse(generated.trim().split('\n').pop() ?? '');
    expect(summary).toMatchObject({
      videos: 4,
      generated: 4,
      seed: 3,
      splits: { train: 2, test: 2 },
    });
    expect(generated).toContain(`manifest    ${join(out, 'cli-motion.csv')}`);
    const inspected = await run(['dataset', 'inspect', join(out, 'cli-motion.csv'), '--json']);
    expect(inspected).toMatch(/reader {6}kinetics/);
    expect(inspected).toMatch(/\nup +1 +1\n/);
    const counts = JSON.parse(inspected.trim().split('\n').pop() ?? '');
    expect(counts).toMatchObject({
      videos: 4,
      splits: { train: 2, test: 2 },
      perClass: { up: { train: 1, test: 1 } },
    });
  });
});
