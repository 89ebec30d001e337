/**
 * `assemblenet evolve` killed hard mid-run (SIGKILL of the whole process group: the search and
 * its candidate processes), then resumed, journals every evaluation exactly once and ends with
 * the same population as an uninterrupted run with the same seed. A random search of that seed
 * with --reuse-from the uninterrupted run takes over its initial population instead of training,
 * and a search that inherits weights gets, from the taken-over checkpoints, the same stored
 * weights its own training of those genomes stores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import { loadCheckpoint, selectBackend } from '../../src/index.ts';
import {
  TINY_EVOLVE_MOTION,
  TINY_EVOLVE_SPACE,
  journalEvaluations,
  journalLines,
  tinyEvolveArgs,
  type JournalEvaluation,
} from './fixtures/tinyEvolve.ts';
import { runProcess } from '../fixtures/runProcess.ts';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/assemblenet.mjs');
const BUDGET = 6;

let dir: string;
let manifest: string;
let space: string;

let reference: string;

function evolveArgs(out: string, resume = false): string[] {
  const run = {
    cli: CLI,
    space,
    manifest,
    budget: BUDGET,
    out,
    seed: 5,
    cacheDir: join(dir, 'cache'),
  };
  return [...tinyEvolveArgs(run), '--flow', 'farneback', ...(resume ? ['--resume'] : [])];
}

function finalPopulation(stdout: string): number[] {
  const last = stdout.trim().split('\n').at(-1)!;
  return (JSON.parse(last) as { population: number[] }).population;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evolve-kill-'));
  const summary = await generateSyntheticDataset(TINY_EVOLVE_MOTION, { out: join(dir, 'data') });
  manifest = summary.manifests[0]!;
  space = join(dir, 'space.json');
  writeFileSync(space, JSON.stringify(TINY_EVOLVE_SPACE));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evolve: SIGKILL mid-run, then --resume', () => {
  it('journals each evaluation once and ends like an uninterrupted run', async () => {
    reference = join(dir, 'reference');
    const straight = await runProcess('node', [...evolveArgs(reference), '--json']);
    expect(straight.status, straight.stderr).toBe(0);
    const referenceRecords = journalEvaluations(reference);
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
        if (journalEvaluations(killed).length >= 3) {
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
    const before = journalEvaluations(killed).length;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(BUDGET);

    const resumed = await runProcess('node', [...evolveArgs(killed, true), '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = journalEvaluations(killed);
    expect(after.map((r) => r.index).sort((a, b) => a! - b!)).toEqual([...Array(BUDGET).keys()]);
    expect(journalLines(killed).filter((l) => l.type === 'header')).toHaveLength(1);
    const byIndex = (records: JournalEvaluation[]) =>
      [...records].sort((a, b) => a.index! - b.index!).map((r) => [r.genome, r.fitness]);
    expect(byIndex(after)).toEqual(byIndex(referenceRecords));
    expect(finalPopulation(resumed.stdout)).toEqual(finalPopulation(straight.stdout));
  }, 600_000);

  it('--reuse-from takes over the finished evaluations of the same random genomes', async () => {
    expect(reference, 'the first test ran').toBeDefined();
    const out = join(dir, 'reused');
    // the reference's population of 2 are candidates 0 and 1 of seed 5: random search makes the same
    const args = evolveArgs(out).map((arg, i, all) => (all[i - 1] === '--budget' ? '2' : arg));
    const run = await runProcess('node', [
      ...args,
      '--strategy',
      'random',
      '--reuse-from',
      reference,
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const reused = journalEvaluations(out).sort((a, b) => a.index! - b.index!);
    const original = journalEvaluations(reference).sort((a, b) => a.index! - b.index!);
    expect(reused.map((r) => r.index)).toEqual([0, 1]);
    for (const record of reused) {
      const source = original[record.index!]!;
      expect(record.genome).toEqual(source.genome);
      expect(record.fitness).toBe(source.fitness);
      expect((record as { reusedFrom?: string }).reusedFrom).toBe(
        join(reference, 'candidates', `candidate-${record.index}`),
      );
    }
  }, 300_000);

  it('--reuse-from in a search that inherits weights stores the weights its own training would', async () => {
    expect(reference, 'the first test ran').toBeDefined();
    const inheriting = (out: string, extra: string[]) =>
      runProcess('node', [
        ...evolveArgs(out).map((arg, i, all) => (all[i - 1] === '--budget' ? '2' : arg)),
        '--inherit-weights',
        ...extra,
      ]);
    const trained = join(dir, 'inherit-trained');
    const reused = join(dir, 'inherit-reused');
    const [own, taken] = await Promise.all([
      inheriting(trained, []),
      inheriting(reused, ['--reuse-from', reference]),
    ]);
    expect(own.status, own.stderr).toBe(0);
    expect(taken.status, taken.stderr).toBe(0);
    expect(
      journalEvaluations(reused)
        .sort((a, b) => a.index - b.index)
        .map((r) => (r as { reusedFrom?: string }).reusedFrom),
    ).toEqual([0, 1].map((i) => join(reference, 'candidates', `candidate-${i}`)));
    await selectBackend('wasm');
    for (const index of [0, 1]) {
      const mine = await loadCheckpoint(join(trained, 'weights', String(index)));
      const copied = await loadCheckpoint(join(reused, 'weights', String(index)));
      try {
        expect(Object.keys(copied.weights).sort()).toEqual(Object.keys(mine.weights).sort());
        for (const [name, tensor] of Object.entries(mine.weights)) {
          const a = Buffer.from((tensor.dataSync() as Float32Array).buffer);
          const b = Buffer.from((copied.weights[name]!.dataSync() as Float32Array).buffer);
          expect(a.equals(b), `${name} of candidate ${index}`).toBe(true);
        }
        expect(copied.metadata.keys).toEqual(mine.metadata.keys);
      } finally {
        mine.dispose();
        copied.dispose();
      }
    }
  }, 300_000);
});
