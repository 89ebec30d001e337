/**
 * `assemblenet evolve` killed hard mid-run (SIGKILL of the whole process group: the search and
 * its candidate processes), then resumed, journals every evaluation exactly once and ends with
 * the same population as an uninterrupted run with the same seed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, parseSyntheticSpec } from '../../datasets/index.ts';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/assemblenet.mjs');
const BUDGET = 6;

let dir: string;
let manifest: string;
let space: string;

function evolveArgs(out: string, resume = false): string[] {
  return [
    CLI,
    'evolve',
    '--space',
    space,
    '--dataset',
    manifest,
    '--budget',
    String(BUDGET),
    '--out',
    out,
    '--workers',
    '2',
    '--population',
    '2',
    '--batch-size',
    '2',
    '--seed',
    '5',
    '--backend',
    'wasm',
    '--cache-dir',
    join(dir, 'cache'),
    '--flow',
    'farneback',
    '--frames',
    '4',
    '--size',
    '32',
    '--width',
    '0.125',
    '--epochs',
    '1',
    '--batch',
    '2',
    '--test-clips',
    '1',
    '--train-clips',
    '1',
    ...(resume ? ['--resume'] : []),
  ];
}

interface JournalLine {
  type: string;
  index?: number;
  genome?: unknown;
  fitness?: number | null;
}

function journal(out: string): JournalLine[] {
  const file = join(out, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalLine];
      } catch {
        return [];
      }
    });
}

function evaluations(out: string): JournalLine[] {
  return journal(out).filter((l) => l.type === 'evaluation');
}

function finalPopulation(stdout: string): number[] {
  const last = stdout.trim().split('\n').at(-1)!;
  return (JSON.parse(last) as { population: number[] }).population;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evolve-kill-'));
  const spec = parseSyntheticSpec({
    kind: 'motion',
    name: 'tiny-motion',
    seed: 3,
    video: { width: 32, height: 32, frames: 8, fps: 8 },
    scene: { objects: [1, 1], objectSize: [8, 12] },
    videosPerClass: 4,
    splits: { train: 0.5, val: 0.5, test: 0 },
    classes: [
      { name: 'left', motion: { kind: 'translate', direction: 180, speed: 1.5 } },
      { name: 'right', motion: { kind: 'translate', direction: 0, speed: 1.5 } },
    ],
  });
  const summary = await generateSyntheticDataset(spec, { out: join(dir, 'data') });
  manifest = summary.manifests[0]!;
  space = join(dir, 'space.json');
  writeFileSync(
    space,
    JSON.stringify({
      name: 'tiny',
      stems: [
        { stem: 'rgb', temporal: 1 },
        { stem: 'flow', temporal: 1 },
      ],
      stemTemporal: { rgb: [1, 2], flow: [1] },
      nodesPerLevel: [
        [1, 2],
        [1, 2],
        [1, 1],
        [1, 1],
      ],
      initialNodesPerLevel: [2, 1, 1, 1],
      filters: [8, 8, 16, 16],
      dilations: [1, 2],
      initialInputs: [1, 2],
      modulesPerLevel: [1, 1, 1, 1],
    }),
  );
}, 600_000);

describe('evolve: SIGKILL mid-run, then --resume', () => {
  it('journals each evaluation once and ends like an uninterrupted run', async () => {
    const reference = join(dir, 'reference');
    const straight = spawnSync('node', [...evolveArgs(reference), '--json'], { encoding: 'utf8' });
    expect(straight.status, straight.stderr).toBe(0);
    const referenceRecords = evaluations(reference);
    expect(referenceRecords.map((r) => r.index).sort((a, b) => a! - b!)).toEqual([
      ...Array(BUDGET).keys(),
    ]);

    // Start the same search in its own process group and kill the group once 3 evaluations are in.
    const killed = join(dir, 'killed');
    const child = spawn('node', evolveArgs(killed), { detached: true, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (evaluations(killed).length >= 3) {
          clearInterval(poll);
          process.kill(-child.pid!, 'SIGKILL');
          resolve();
        } else if (Date.now() - started > 150_000) {
          clearInterval(poll);
          process.kill(-child.pid!, 'SIGKILL');
          reject(new Error('evolve did not journal 3 evaluations in time'));
        }
      }, 100);
    });
    expect(await exited).toBe('SIGKILL');
    const before = evaluations(killed).length;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(BUDGET);

    const resumed = spawnSync('node', [...evolveArgs(killed, true), '--json'], {
      encoding: 'utf8',
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = evaluations(killed);
    expect(after.map((r) => r.index).sort((a, b) => a! - b!)).toEqual([...Array(BUDGET).keys()]);
    expect(journal(killed).filter((l) => l.type === 'header')).toHaveLength(1);
    const byIndex = (records: JournalLine[]) =>
      [...records].sort((a, b) => a.index! - b.index!).map((r) => [r.genome, r.fitness]);
    expect(byIndex(after)).toEqual(byIndex(referenceRecords));
    expect(finalPopulation(resumed.stdout)).toEqual(finalPopulation(straight.stdout));
  }, 600_000);
});
