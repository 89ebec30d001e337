/**
 * pipelines/experiments/engine-calibration.ts: pairs two journals' evaluations by genome (not by
 * index), and its statistics match values worked out by hand.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function journal(dir: string, entries: { index: number; stem: number; fitness: number | null }[]) {
  mkdirSync(dir, { recursive: true });
  const header = { type: 'header', version: 1, settings: {}, startedAt: '2026-11-30T00:00:00Z' };
  const lines = entries.map(({ index, stem, fitness }) => ({
    type: 'evaluation',
    index,
    genome: {
      name: `c${index}`,
      modulesPerLevel: [1, 1, 1, 1],
      fusion: 'sigmoid',
      nodes: [{ stem: 'rgb', temporal: stem }],
    },
    keys: [],
    parent: null,
    mutation: [],
    status: fitness === null ? 'failed' : 'ok',
    fitness,
    connectionWeights: null,
    seconds: 1,
    finishedAt: '2026-11-30T00:00:00Z',
  }));
  writeFileSync(
    join(dir, 'journal.jsonl'),
    `${[header, ...lines].map((l) => JSON.stringify(l)).join('\n')}\n`,
  );
}

const run = (args: string[]) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', 'pipelines/experiments/engine-calibration.ts', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );

describe('engine-calibration', () => {
  it('pairs genomes across journals and reports the paired differences', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calib-'));
    // genome 1..4 in the reference; the other journal has them in another order, a failed one,
    // and a genome the reference lacks
    journal(join(dir, 'a'), [
      { index: 0, stem: 1, fitness: 0.5 },
      { index: 1, stem: 2, fitness: 0.6 },
      { index: 2, stem: 3, fitness: 0.7 },
      { index: 3, stem: 4, fitness: 0.8 },
    ]);
    journal(join(dir, 'b'), [
      { index: 0, stem: 3, fitness: 0.6 }, // -0.1
      { index: 1, stem: 1, fitness: 0.6 }, // +0.1
      { index: 2, stem: 2, fitness: 0.6 }, // 0
      { index: 3, stem: 4, fitness: null },
      { index: 4, stem: 9, fitness: 0.9 },
    ]);
    const out = join(dir, 'calib.json');
    const child = run(['--reference', join(dir, 'a'), '--other', join(dir, 'b'), '--json', out]);
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number> & {
      pairs: { reference: number; other: number }[];
    };
    expect(result.genomes).toBe(3);
    expect(result.mean_diff).toBeCloseTo(0, 12);
    expect(result.sd_diff).toBeCloseTo(0.1, 12); // sample sd of -0.1, 0.1, 0
    expect(result.mean_abs_diff).toBeCloseTo(0.2 / 3, 12);
    expect(result.max_abs_diff).toBeCloseTo(0.1, 12);
    expect(result.implied_single_training_sd).toBeCloseTo(0.1 / Math.SQRT2, 12);
    // reference 0.5, 0.6, 0.7 against 0.6, 0.6, 0.6: the other side is constant
    expect(result.pairs.map((p) => [p.reference, p.other])).toEqual([
      [0.7, 0.6],
      [0.5, 0.6],
      [0.6, 0.6],
    ]);
  });

  it('refuses journals that share fewer than two genomes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calib-'));
    journal(join(dir, 'a'), [{ index: 0, stem: 1, fitness: 0.5 }]);
    journal(join(dir, 'b'), [{ index: 0, stem: 1, fitness: 0.6 }]);
    const child = run([
      '--reference',
      join(dir, 'a'),
      '--other',
      join(dir, 'b'),
      '--json',
      join(dir, 'x.json'),
    ]);
    expect(child.status).not.toBe(0);
    expect(child.stderr).toMatch(/expected >= 2 shared genomes, got 1/);
  });
});
