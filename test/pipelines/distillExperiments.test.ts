/**
 * `runDistillExperiments` (the core of pipelines/experiments/distill.ts) on a tiny motion set:
 * a tiny teacher, 1 seed, 1 epoch. rgb: the three losses on one student at equal steps (the
 * feature run reads the cached teacher features); akd: a KD-reward and a hard-reward search,
 * each an ordinary journaled distill job; a second call skips every finished run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, readManifest, type Manifest } from '../../datasets/index.ts';
import { ClipPool, parseStudent, selectBackend } from '../../src/index.ts';
import { readSearchJournal } from '../../pipelines/jobs/distill.ts';
import {
  formatExperimentTables,
  runDistillExperiments,
  type DistillExperimentsInput,
  type ExperimentRun,
} from '../../pipelines/jobs/distillExperiments.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import { runTrainJob } from '../../pipelines/jobs/train.ts';
import {
  TINY_CONFIG,
  TINY_RGB_GENOME,
  TINY_STUDENT_SPACE,
  tinyMotionSpec,
} from './fixtures/tinyRun.ts';

const SPACE = TINY_STUDENT_SPACE;

const dir = mkdtempSync(join(tmpdir(), 'anet-distill-exp-'));
const cacheDir = join(dir, 'cache');
let pool: ClipPool;
let manifest: Manifest;
let input: DistillExperimentsInput;
let runs: ExperimentRun[];

beforeAll(async () => {
  await selectBackend('wasm');
  pool = new ClipPool({ workers: 2 });
  manifest = readManifest(
    (await generateSyntheticDataset(tinyMotionSpec('exp-motion', 7), { out: join(dir, 'motion') }))
      .manifests[0]!,
  ).manifest;
  const trained = await runTrainJob({
    genome: TINY_RGB_GENOME,
    manifest,
    config: parseRunConfig({ ...TINY_CONFIG, testClips: 1 }),
    out: join(dir, 'teacher'),
    cacheDir,
    pool,
    skipEval: true,
    progress: false,
    log: () => {},
  });
  trained.network.dispose();
  const spaceFile = join(dir, 'space.json');
  writeFileSync(spaceFile, JSON.stringify(SPACE));
  input = {
    teacher: join(dir, 'teacher'),
    manifest,
    out: join(dir, 'exp'),
    cacheDir,
    pool,
    experiments: ['rgb', 'akd'],
    seeds: [1],
    epochs: 1,
    budget: 1,
    searchEpochs: 1,
    latencyTarget: 1000,
    space: spaceFile,
    student: parseStudent({
      ...SPACE,
      name: 'fixed',
      stages: [{ ...SPACE.stages[0]!, filters: 16, kernels: [3] }],
    }),
    resultsCopy: join(dir, 'copy', 'distill-test.json'),
    log: () => {},
  };
  runs = (await runDistillExperiments(input)).runs;
}, 600_000);
afterAll(async () => {
  await pool?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('runDistillExperiments', () => {
  const run = (id: string) => runs.find((r) => r.id === id)!;

  it('rgb: none, logit KD and feature KD train one student for the same steps', () => {
    const arms = ['none', 'logit-kd', 'feature-kd'].map((arm) => run(`rgb-${arm}-seed1`));
    for (const r of arms) {
      expect(r.hash).toBe(arms[0]!.hash);
      expect(r.steps).toBe(3); // 6 training videos / batch 2, 1 epoch
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    }
    // the feature run regressed the teacher's cached pooled features
    const lines = (cache: string) =>
      readFileSync(join(input.out, cache, 'teacher-logits.jsonl'), 'utf8')
        .trim()
        .split('\n');
    const features = lines('teacher-features');
    expect(features.length).toBeGreaterThan(manifest.items.length); // header + a line per clip
    expect(features.length).toBe(lines('teacher-logits').length);
  });

  it('akd: one KD-reward and one hard-reward search, each journaled, the winner KD-trained', () => {
    for (const arm of ['kd-reward', 'hard-reward']) {
      const r = run(`akd-${arm}-seed1`);
      expect(r.candidates).toEqual({ trained: 1, failed: 0, skipped: 0 });
      expect(r.latencyMs).toBeGreaterThan(0);
      expect(r.meetsTarget).toBe(true);
      const journal = readSearchJournal(
        join(input.out, 'akd', `${arm}-seed1`, 'search-journal.jsonl'),
      );
      const objectives = journal.header!.settings.objectives as {
        search: { logits: string };
        final: { logits: string };
      };
      expect(objectives.search.logits).toBe(arm === 'kd-reward' ? 'kd' : 'hard');
      expect(objectives.final.logits).toBe('kd');
      expect(journal.finals.map((f) => f.status)).toEqual(['ok']);
    }
  });

  it('writes the records (and their copy), formats the tables, and skips finished runs on a rerun', async () => {
    const stored = JSON.parse(readFileSync(join(input.out, 'results.json'), 'utf8')) as {
      runs: ExperimentRun[];
    };
    expect(stored.runs.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(existsSync(input.resultsCopy!)).toBe(true);
    const tables = formatExperimentTables(runs);
    expect(tables).toMatch(/\| feature-kd \| \d+\.\d ± 0\.0 \|/);
    expect(tables).toMatch(/\| hard-reward \|/);
    // the teacher reached through a symlink is the same teacher: its cached outputs are reused
    const link = join(dir, 'teacher-link');
    symlinkSync(input.teacher, link);
    const again = await runDistillExperiments({ ...input, teacher: link });
    expect(again.runs.map((r) => r.seconds)).toEqual(runs.map((r) => r.seconds));
  }, 120_000);
});
