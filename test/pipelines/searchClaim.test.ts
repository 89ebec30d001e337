/**
 * pipelines/experiments/search.ts --claim: two processes started together on the same searches
 * share them (each search is run by exactly one invocation; a stale lock left by a killed process
 * does not keep its search from running), a later run finds nothing left
 * to do, and a new arm takes over the evaluation of the genome its siblings already trained
 * (candidate 0 of every arm of a seed is the same random genome). Tiny set: 2 classes x 5 videos (4 train, 1 val), one 1-epoch proxy per search.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import { runProcess } from '../fixtures/runProcess.ts';
import { TINY_TWO_CLASSES, tinyMotionSpec } from './fixtures/tinyRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-search-claim-'));
const out = join(dir, 'out');
const SEARCHES = ['random-s1', 'guided-s1'];
let manifest: string;

beforeAll(async () => {
  const spec = tinyMotionSpec('claim-motion', 3, TINY_TWO_CLASSES, {
    videosPerClass: 5,
    splits: { train: 0.8, val: 0.2, test: 0 },
  });
  manifest = (await generateSyntheticDataset(spec, { out: join(dir, 'data') })).manifests[0]!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const search = (json: string, arms = 'random,guided') =>
  runProcess(
    process.execPath,
    [
      '--import',
      'tsx',
      'pipelines/experiments/search.ts',
      ...['--dataset', manifest, '--arms', arms, '--seeds', '1'],
      ...['--budget', '1', '--population', '1', '--proxy-per-class', '4'],
      ...['--proxy-val-per-class', '1', '--proxy-epochs', '1', '--no-final', '--claim'],
      ...['--out', out, '--json', join(dir, json)],
    ],
    {
      env: { ...process.env, ASSEMBLENET_CACHE_DIR: join(dir, 'cache'), ASSEMBLENET_THREADS: '1' },
      timeout: 240_000,
    },
  );

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean) : [];

describe('search.ts --claim', () => {
  it('lets two processes share the searches, each search run by one of them', async () => {
    // a lock left by a killed process an hour ago: stale, so its search is taken
    const stale = join(out, 'random-s1.lock');
    mkdirSync(stale, { recursive: true });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(stale, anHourAgo, anHourAgo);
    const [first, second] = await Promise.all([search('p1.json'), search('p2.json')]);
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    for (const name of SEARCHES) {
      // one invocation worked on each search: without claims both processes run both
      expect(lines(join(out, name, 'commits.jsonl')), name).toHaveLength(1);
      // and says which kernels ran its convolutions
      const [record] = lines(join(out, name, 'commits.jsonl')).map(
        (line) => JSON.parse(line) as { convs?: string },
      );
      expect(record?.convs).toMatch(/^(oneDNN|XNNPACK \(native: .+\))$/);
      const evaluations = lines(join(out, name, 'journal.jsonl'))
        .map((line) => JSON.parse(line) as { type: string; index?: number })
        .filter((entry) => entry.type === 'evaluation');
      expect(evaluations.map((e) => e.index)).toEqual([0]);
    }
    const started = `${first.stderr}${second.stderr}`.match(/\(0 evaluations journaled\)/g);
    expect(started).toHaveLength(2);

    const again = await search('p3.json');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/evaluations journaled/);
    for (const name of SEARCHES) expect(lines(join(out, name, 'commits.jsonl'))).toHaveLength(1);

    const plain = await search('p4.json', 'random,guided,plain');
    expect(plain.status, plain.stderr).toBe(0);
    const [header, record] = lines(join(out, 'plain-s1', 'journal.jsonl')).map(
      (line) => JSON.parse(line) as { fitness?: number; reusedFrom?: string; genome?: unknown },
    );
    expect(header).toBeDefined();
    const guided = JSON.parse(lines(join(out, 'guided-s1', 'journal.jsonl'))[1]!) as {
      fitness: number;
      genome: unknown;
    };
    expect(record!.genome).toEqual(guided.genome);
    expect(record!.reusedFrom).toMatch(/(guided|random)-s1\/candidates\/candidate-0$/);
    expect(record!.fitness).toBe(guided.fitness);
    expect(existsSync(join(out, 'plain-s1', 'candidates', 'candidate-0', 'eval.json'))).toBe(true);
  }, 480_000);
});
