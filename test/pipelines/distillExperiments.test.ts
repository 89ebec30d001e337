/**
 * `runDistillExperiments` (the core of pipelines/scripts/distill-experiments.ts) on a tiny motion
 * set: a tiny RGB teacher, 1 seed, 1 epoch, a 1-student search. Checks the three tables, that
 * the KD and no-KD runs of A differ only in the loss, B's nearest-latency pairing, C's
 * end-to-end rows, the written files, and that a second call skips every finished run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, readManifest, type Manifest } from '../../datasets/index.ts';
import { ClipPool, parseStudent, parseStudentSpace, selectBackend } from '../../src/index.ts';
import {
  mean,
  runDistillExperiments,
  std,
  type DistillExperimentsInput,
  type DistillExperimentsResult,
} from '../../pipelines/jobs/distillExperiments.ts';
import { parseRunConfig } from '../../pipelines/jobs/runConfig.ts';
import { runTrainJob } from '../../pipelines/jobs/train.ts';
import { TINY_CONFIG, TINY_RGB_GENOME, tinyMotionSpec } from './fixtures/tinyRun.ts';

const student = (name: string, filters: number, stages = 1) =>
  parseStudent({
    name,
    frames: 4,
    resolution: 32,
    streams: 'rgb',
    stem: { filters: 8, kernel: 3, activation: 'relu' },
    stages: Array.from({ length: stages }, () => ({
      repeats: 1,
      filters,
      stride: 2,
      expand: 2,
      kernels: [3],
      temporalKernel: 3,
    })),
  });
const SPACE = parseStudentSpace({
  name: 'tiny-space',
  frames: 4,
  resolution: 32,
  streams: 'rgb',
  stem: { filters: 8, kernel: 3, activation: 'relu' },
  stages: [
    { repeats: 1, filters: [8, 16], stride: 2, expand: 2, kernels: [[3]], temporalKernel: 3 },
  ],
});

const dir = mkdtempSync(join(tmpdir(), 'anet-distill-exp-'));
const cacheDir = join(dir, 'cache');
let pool: ClipPool;
let manifest: Manifest;
let input: DistillExperimentsInput;
let result: DistillExperimentsResult;

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
  input = {
    teacher: join(dir, 'teacher'),
    manifest,
    out: join(dir, 'exp'),
    cacheDir,
    pool,
    seeds: [1],
    epochs: 1,
    budget: 1,
    latencyTarget: 20,
    student: student('fixed', 16),
    handPicked: [student('small', 8), student('large', 32, 2)],
    space: SPACE,
    latencyRuns: 2,
    clipLatencyRuns: 2,
    log: () => {},
  };
  result = await runDistillExperiments(input);
}, 90_000);
afterAll(async () => {
  await pool?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('runDistillExperiments', () => {
  const run = (id: string) => result.runs.find((r) => r.id === id)!;

  it('A: the KD and no-KD runs differ only in the loss', () => {
    const kd = run('A-kd-seed1');
    const hard = run('A-hard-seed1');
    for (const key of [
      'student',
      'hash',
      'parameters',
      'flops',
      'epochs',
      'steps',
      'seed',
      'streams',
    ] as const)
      expect(kd[key]).toEqual(hard[key]);
    expect(kd.steps).toBe(3); // 6 training videos / batch 2, 1 epoch
    expect(kd.loss).toBe('KD alpha=0.5 T=4');
    expect(hard.loss).toBe('hard labels only');
  });

  it('B: the hand-picked student is the one of nearest measured latency to the searched one', () => {
    const searched = run('B-searched-seed1');
    const picked = run('B-handpicked-seed1');
    expect(searched.student).toMatch(/^tiny-space-[0-9a-f]{8}$/);
    expect(['small', 'large']).toContain(picked.student);
    expect(picked.matchedLatencyMs).toBe(searched.latencyMs);
    const latency = JSON.parse(readFileSync(join(input.out, 'latency.json'), 'utf8')) as Record<
      string,
      { arch: string; runsMs: number[] }
    >;
    expect(Object.keys(latency).length).toBeGreaterThanOrEqual(3); // the searched + both hand-picked
    expect(searched.epochs).toBe(picked.epochs);
    expect(searched.steps).toBe(picked.steps);
  });

  it('C: teacher and RGB-only students with measured end-to-end latency (no flow for RGB models)', () => {
    const teacher = run('C-teacher');
    expect(teacher.student).toBe('tiny-rgb');
    for (const id of ['C-teacher', 'C-fixed-kd', 'C-searched-seed1']) {
      const e2e = run(id).endToEnd!;
      expect(e2e.totalMs).toBeGreaterThan(0);
      expect(e2e.modelMs).toBeGreaterThan(0);
      expect(e2e.totalMs).toBeGreaterThanOrEqual(e2e.modelMs);
      expect(e2e.flowMs).toBeLessThan(1); // the worker's bookkeeping only: no flow is computed
    }
    expect(run('C-searched-seed1').hash).toBe(run('B-searched-seed1').hash);
  });

  it('prints the three markdown tables with mean ± std and the per-seed values; writes tables.md and results.json', () => {
    const { tables } = result;
    expect(tables).toMatch(
      /^### A\. The same student with and without KD \(1 epoch each; seeds 1;/m,
    );
    expect(tables).toMatch(
      /^\| student \| loss \| params \| steps \| test top-1 \(%\) \| per seed \|$/m,
    );
    // the fixed student already has the teacher's clip shape (4 x 32 px): its name is kept
    expect(tables).toMatch(
      /^\| fixed \| KD alpha=0\.5 T=4 \| \d+ \| 3 \| \d+\.\d ± 0\.0 \| \d+\.\d \|$/m,
    );
    expect(tables).toMatch(
      /^\| fixed \| hard labels only \| \d+ \| 3 \| \d+\.\d ± 0\.0 \| \d+\.\d \|$/m,
    );
    expect(tables).toMatch(/^\| KD − hard \(paired\) \|/m);
    expect(tables).toMatch(/^### B\. Searched student \(budget 1, target 20 ms, RGB-only\)/m);
    expect(tables).toMatch(/^\| searched \| tiny-space-[0-9a-f]{8} \| \d+\.\d ± 0\.0 \|/m);
    expect(tables).toMatch(/^\| hand-picked \| (small|large) \|/m);
    expect(tables).toMatch(/^### C\. RGB-only students vs the two-stream teacher/m);
    expect(tables).toMatch(/^\| teacher: tiny-rgb \| rgb \|/m);
    expect(tables).toMatch(/^\| fixed KD student: fixed \| rgb \|/m);
    expect(tables).toMatch(/^\| searched student: tiny-space-[0-9a-f]{8} \| rgb \|/m);
    expect(tables).toMatch(/teacher \/ searched student end-to-end time: \d+\.\d\dx/);
    expect(readFileSync(result.tablesFile, 'utf8')).toBe(tables);
    const stored = JSON.parse(readFileSync(result.resultsFile, 'utf8')) as {
      runs: { id: string }[];
      seeds: number[];
    };
    expect(stored.seeds).toEqual([1]);
    expect(stored.runs.map((r) => r.id).sort()).toEqual([
      'A-hard-seed1',
      'A-kd-seed1',
      'B-handpicked-seed1',
      'B-searched-seed1',
      'C-fixed-kd',
      'C-searched-seed1',
      'C-teacher',
    ]);
    for (const r of stored.runs)
      expect(existsSync(join(input.out, 'runs', `${r.id}.json`))).toBe(true);
  });

  it('a second call skips every finished run and gives the same tables', async () => {
    const lines: string[] = [];
    const again = await runDistillExperiments({ ...input, log: (line) => lines.push(line) });
    expect(lines.filter((line) => /done earlier/.test(line))).toHaveLength(7);
    expect(again.tables).toBe(result.tables);
  }, 30_000);

  it('mean and sample std against hand-computed values', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(std([0.4])).toBe(0);
  });
});
