/**
 * `runDistillJob` end to end on a tiny motion set: a tiny two-stream teacher trained by the real
 * train job, a 2-student search with 1 KD epoch each, the chosen student saved as a checkpoint
 * that `loadNetworkFromCheckpoint` + the eval job read back, and the teacher-logit cache reused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, readManifest, type Manifest } from '../../datasets/index.ts';
import { TINY_CLASSES, TINY_SETTINGS, tinyMotionSpec } from './fixtures/tinyRun.ts';
import {
  ClipPool,
  parseGenome,
  parseStudentSpace,
  readStudent,
  reward,
  selectBackend,
  studentStreams,
  tf,
  type Genome,
} from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../src/networks/checkpointNetwork.ts';
import {
  clipKey,
  formatDistillTable,
  rankForChoice,
  readSearchJournal,
  runDistillJob,
  type DistillJobResult,
} from '../../pipelines/jobs/distill.ts';
import { runEvalJob } from '../../pipelines/jobs/eval.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import { runTrainJob } from '../../pipelines/jobs/train.ts';
import { runProcess } from '../fixtures/runProcess.ts';

const GENOME: Genome = parseGenome({
  name: 'tiny-two-stream',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 },
    { stem: 'flow', temporal: 1 },
    { level: 0, inputs: [0, 1], filters: 32, dilation: 1, stride: 1 },
    { level: 1, inputs: [2], filters: 64, dilation: 2, stride: 2 },
    { level: 2, inputs: [3], filters: 128, dilation: 1, stride: 2 },
    { level: 3, inputs: [4], filters: 256, dilation: 1, stride: 2 },
  ],
});
const CONFIG = parseRunConfig({ ...TINY_SETTINGS, flow: 'farneback' });
const MOTION = tinyMotionSpec('distill-motion', 11, TINY_CLASSES.slice(0, 2), {
  splits: { train: 0.5, val: 0.25, test: 0.25 },
});
// Tiny students at the teacher's clip shape; one or two streams.
const SPACE = parseStudentSpace({
  name: 'tiny-space',
  frames: 4,
  resolution: 32,
  streams: ['rgb', 'rgb+flow'],
  fusion: 'sum',
  stem: { filters: 8, kernel: 3, activation: 'relu' },
  stages: [
    { repeats: 1, filters: [8, 16], stride: 2, expand: 2, kernels: [[3]], temporalKernel: 3 },
    { repeats: 1, filters: 16, stride: 2, expand: 2, kernels: [[3]], temporalKernel: [1, 3] },
  ],
  headFilters: 0,
});
const TARGET = 25;

const dir = mkdtempSync(join(tmpdir(), 'anet-distill-'));
const cacheDir = join(dir, 'cache');
const out = join(dir, 'distill');
let pool: ClipPool;
let manifest: Manifest;
let manifestFile: string;
let result: DistillJobResult;
const lines: string[] = [];

beforeAll(async () => {
  await selectBackend('wasm');
  pool = new ClipPool({ workers: 2 });
  manifestFile = (await generateSyntheticDataset(MOTION, { out: join(dir, 'motion') }))
    .manifests[0]!;
  manifest = readManifest(manifestFile).manifest;
  const trained = await runTrainJob({
    genome: GENOME,
    manifest,
    config: CONFIG,
    out: join(dir, 'teacher'),
    cacheDir,
    pool,
    skipEval: true,
    progress: false,
    log: () => {},
  });
  trained.network.dispose();
  result = await runDistillJob({
    teacher: join(dir, 'teacher'),
    manifest,
    out,
    cacheDir,
    pool,
    budget: 2,
    epochs: 1,
    finalEpochs: 1,
    latencyTarget: TARGET,
    space: SPACE,
    seed: 3,
    latencyRuns: 3,
    progress: false,
    log: (line) => lines.push(line),
  });
}, 600_000);
afterAll(async () => {
  await pool?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('runDistillJob', () => {
  it('caches the teacher logits of every train variant and val/test clip, once', () => {
    const videos = manifest.items.length;
    expect(result.teacherLogits.clips).toBe(videos); // 1 train variant or 1 test clip per video
    expect(result.teacherLogits.computed).toBe(videos);
    const body = readFileSync(result.teacherLogits.file, 'utf8').trim().split('\n');
    expect(body).toHaveLength(1 + videos); // header + one line per clip
    const train = manifest.items.find((item) => item.split === 'train')!;
    expect(
      body.some((line) =>
        line.includes(`"video":"${train.id}","clip":"${clipKey({ kind: 'train', seed: 0 })}"`),
      ),
    ).toBe(true);
  });

  it('searches the budget, rewards with the MnasNet formula and keeps a Pareto front', () => {
    // budget = students trained; the skipped ones (measured over the ceiling) did not count
    const trained = result.records.filter((record) => record.status !== 'skipped');
    expect(trained).toHaveLength(2);
    for (const record of result.records.filter((r) => r.status === 'skipped'))
      expect(record.reason).toMatch(/measured .* ms > ceiling 50\.0 ms/);
    for (const record of trained) {
      expect(record.status).toBe('ok');
      expect(record.latencyMs).toBeGreaterThan(0);
      expect(record.reward).toBeCloseTo(
        reward(record.accuracy, record.latencyMs, { target: TARGET }),
        10,
      );
    }
    // the best reward within the target (the best overall only when none is within it)
    expect(result.chosen.hash).toBe(
      rankForChoice(
        result.records.filter((r) => r.status === 'ok'),
        TARGET,
      )[0]!.hash,
    );
    expect(result.pareto.length).toBeGreaterThanOrEqual(1);
    // two-stream students pay the measured flow cost, RGB-only ones do not
    for (const row of result.table.filter((r) => r.role !== 'teacher')) {
      expect(row.flowMs > 0).toBe(row.streams.includes('flow'));
      expect(row.latencyMs).toBeCloseTo(row.modelLatencyMs + row.flowMs, 6);
    }
  });

  it('writes the table with the teacher and the chosen student, latency against the target', () => {
    const teacher = result.table.find((row) => row.role === 'teacher')!;
    const chosen = result.table.find((row) => row.role === 'chosen')!;
    expect(teacher.streams).toEqual(['flow', 'rgb']);
    expect(teacher.flowMs).toBeGreaterThan(0);
    for (const row of [teacher, chosen]) {
      expect(row.latencyMs).toBeGreaterThan(0);
      expect(row.parameters).toBeGreaterThan(0);
      expect(row.flops).toBeGreaterThan(0);
      expect(row.accuracy).toBeGreaterThanOrEqual(0);
      expect(row.accuracy).toBeLessThanOrEqual(1);
      expect(row.split).toBe('test');
    }
    expect(chosen.parameters).toBeLessThan(teacher.parameters);
    expect(result.chosen.latencyMs).toBe(chosen.latencyMs);
    expect(result.chosen.meetsTarget).toBe(chosen.latencyMs <= TARGET);
    const text = formatDistillTable(result);
    expect(text).toMatch(new RegExp(`vs target ${TARGET} ms: (meets|misses)`));
    const stored = JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8')) as DistillJobResult;
    expect(stored.table.map((row) => row.role)).toEqual(result.table.map((row) => row.role));
    expect(result.family.map((member) => member.phi)).toEqual([-1, 0, 1]);
    for (const member of result.family) expect(readStudent(member.file).stages.length).toBe(2);
    expect(result.family[0]!.flops).toBeLessThan(result.family[2]!.flops);
  });

  it('saves the chosen student as a checkpoint that loadNetworkFromCheckpoint and eval read', async () => {
    expect(existsSync(join(result.chosen.checkpoint, 'checkpoint.json'))).toBe(true);
    const loaded = await loadNetworkFromCheckpoint(join(out, 'student'));
    try {
      expect(loaded.kind).toBe('student');
      expect(loaded.streams).toEqual(studentStreams(result.chosen.arch));
      const evaluated = await runEvalJob({
        checkpoint: loaded,
        manifest,
        split: 'test',
        cacheDir,
        pool,
        out: false,
        progress: false,
        log: () => {},
      });
      // the reloaded weights reproduce the job's own test score
      expect(evaluated.top1).toBeCloseTo(result.chosen.test.top1!, 10);
      expect(evaluated.num_videos).toBe(
        manifest.items.filter((item) => item.split === 'test').length,
      );
    } finally {
      loaded.network.dispose();
    }
  });

  it('--resume after a finished run trains nothing again and reads the cached teacher logits', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const journal = join(out, 'search-journal.jsonl');
    const before = readFileSync(journal, 'utf8');
    const resumed = await runDistillJob({
      teacher: join(dir, 'teacher'),
      manifest,
      out,
      cacheDir,
      pool,
      budget: 2,
      epochs: 1,
      finalEpochs: 1,
      latencyTarget: TARGET,
      space: SPACE,
      seed: 3,
      latencyRuns: 1,
      resume: true,
      progress: false,
      log: () => {},
    });
    expect(resumed.teacherLogits.computed).toBe(0);
    expect(resumed.teacherLogits.cached).toBe(result.teacherLogits.clips);
    expect(resumed.resumed).toBe(result.records.length);
    expect(resumed.chosen.hash).toBe(result.chosen.hash);
    expect(resumed.chosen.test.top1).toBe(result.chosen.test.top1);
    // nothing was appended: no candidate and no final student was trained again
    expect(readFileSync(journal, 'utf8')).toBe(before);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsBefore + 2);
    // a fresh run into the same folder is refused, as is a resume with other settings
    const again = {
      teacher: join(dir, 'teacher'),
      manifest,
      out,
      cacheDir,
      pool,
      space: SPACE,
      seed: 3,
      log: () => {},
    };
    await expect(runDistillJob({ ...again, budget: 2, resume: false })).rejects.toThrow(
      /pass --resume/,
    );
    await expect(runDistillJob({ ...again, budget: 3, resume: true })).rejects.toThrow(
      /expected the journal's settings, got changes: budget: 2 -> 3/,
    );
  }, 60_000);

  it('CLI: a distill killed mid-search resumes with --resume and trains no finished candidate again', async () => {
    const spaceFile = join(dir, 'space.json');
    writeFileSync(spaceFile, JSON.stringify({ ...SPACE, streams: ['rgb', 'rgb+flow'] }));
    const killedOut = join(dir, 'killed');
    const journal = join(killedOut, 'search-journal.jsonl');
    const args = [
      'bin/assemblenet.mjs',
      'distill',
      '--teacher',
      join(dir, 'teacher'),
      '--dataset',
      manifestFile,
      '--out',
      killedOut,
      '--latency-target',
      '25ms',
      '--budget',
      '3',
      '--epochs',
      '1',
      '--final-epochs',
      '1',
      '--rgb-only',
      '--space',
      spaceFile,
      '--cache-dir',
      cacheDir,
      '--workers',
      '1',
      '--backend',
      'wasm',
      '--json',
    ];
    const cwd = resolve(import.meta.dirname, '../..');
    // 1. killed (SIGKILL, with its candidate process) once the first candidate is journaled
    const first = spawn(process.execPath, args, { cwd, detached: true, stdio: 'ignore' });
    const journaledBeforeKill = await new Promise<number>((done, fail) => {
      const timer = setInterval(() => {
        const count = existsSync(journal) ? readSearchJournal(journal).candidates.length : 0;
        if (count >= 1) {
          clearInterval(timer);
          process.kill(-first.pid!, 'SIGKILL');
          done(count);
        }
      }, 100);
      first.on('exit', (code) => {
        clearInterval(timer);
        fail(new Error(`distill ended (${code}) before it was killed`));
      });
    });
    const killedLines = readSearchJournal(journal).candidates;
    expect(killedLines.length).toBeGreaterThanOrEqual(journaledBeforeKill);
    expect(killedLines.filter((entry) => entry.status !== 'skipped').length).toBeLessThan(3);
    // 2. resumed: the journaled candidates are read back, the others trained
    const run = await runProcess(process.execPath, [...args, '--resume'], {
      cwd,
      timeout: 400_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`${killedLines.length} candidates read from .*not trained again`),
    );
    const after = readSearchJournal(journal);
    const indices = after.candidates.map((entry) => entry.index);
    expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b)); // none twice
    expect(after.candidates.slice(0, killedLines.length)).toEqual(killedLines);
    expect(after.candidates.filter((entry) => entry.status !== 'skipped')).toHaveLength(3);
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      teacher_logits: { computed: number };
      table: { role: string; streams: string[]; status?: string }[];
      target_ms: number;
    };
    expect(last.teacher_logits.computed).toBe(0);
    expect(last.target_ms).toBe(25);
    // every candidate has a row; all RGB-only
    expect(last.table.filter((row) => row.role === 'candidate')).toHaveLength(
      after.candidates.length,
    );
    expect(
      last.table
        .filter((row) => row.role !== 'teacher')
        .every((row) => row.streams.join() === 'rgb'),
    ).toBe(true);
    expect(run.stdout).toMatch(/^role\s+name/m);
  }, 600_000);
});
