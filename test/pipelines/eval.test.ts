import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSyntheticDataset,
  parseSyntheticSpec,
  readManifest,
  type Manifest,
} from '../../datasets/index.ts';
import { ClipPool, selectBackend } from '../../src/index.ts';
import { runEvalJob } from '../../pipelines/jobs/eval.ts';
import { predictVideos } from '../../pipelines/jobs/predict.ts';
import { summarizeScores } from '../../pipelines/jobs/summarize.ts';
import { TINY_CLASSES, TINY_CONFIG, TINY_RGB_GENOME, tinyMotionSpec } from './fixtures/tinyRun.ts';
import { runTrainJob, toClipItem, type TrainJobResult } from '../../pipelines/jobs/train.ts';
import { templateFor } from '../../src/networks/runConfig.ts';
import { runProcess } from '../fixtures/runProcess.ts';

// A tiny rgb-only network (width 1/8, 4 frames of 32 px) trained 1 epoch by the real train job.
const GENOME = TINY_RGB_GENOME;
const CONFIG = TINY_CONFIG;
const CLASSES = TINY_CLASSES;
const MOTION = tinyMotionSpec('eval-motion', 3);
const CHARADES = parseSyntheticSpec({
  kind: 'charades',
  name: 'eval-charades',
  seed: 4,
  video: { width: 32, height: 32, frames: 16, fps: 8 },
  videos: 8,
  splits: { train: 0.5, val: 0, test: 0.5 },
  actionsPerVideo: [1, 2],
  actionDuration: [0.3, 0.6],
  classes: CLASSES.map((c) => ({ name: `Thing ${c.name}`, motion: c.motion })),
});

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'anet-eval-'));
const cacheDir = join(dir, 'cache');
let pool: ClipPool;
let motionCsv: string;
let motion: Manifest;
let trained: TrainJobResult;

const train = (manifest: Manifest, out: string) =>
  runTrainJob({
    genome: GENOME,
    manifest,
    config: CONFIG,
    out,
    cacheDir,
    pool,
    skipEval: true,
    progress: false,
    log: () => {},
  });

beforeAll(async () => {
  await selectBackend('wasm');
  pool = new ClipPool({ workers: 2 });
  const generated = await generateSyntheticDataset(MOTION, { out: join(dir, 'motion') });
  motionCsv = generated.manifests[0]!;
  motion = readManifest(motionCsv).manifest;
  trained = await train(motion, join(dir, 'run'));
});
afterAll(async () => {
  trained?.network.dispose();
  await pool?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('eval', () => {
  it('scores the test split like an independent pass of the in-process network, and writes the metrics file', async () => {
    const result = await runEvalJob({
      checkpoint: join(dir, 'run'),
      manifest: motion,
      cacheDir,
      pool,
      progress: false,
    });
    expect(result.split).toBe('test');
    expect(result.num_videos).toBe(6);
    expect(result.failed).toEqual([]);
    // reference: the trained network (never saved/loaded) on the same clips, scored by summarizeScores
    const items = motion.items.filter((item) => item.split === 'test').map(toClipItem);
    const predictions = await predictVideos({
      network: trained.network,
      pool,
      template: templateFor(GENOME, CONFIG, cacheDir),
      items,
      labels: { numClasses: 3, multiLabel: false },
      clips: 2,
      batchSize: 2,
    });
    for (const p of predictions) {
      const scores = result.scores.get(p.item.id)!;
      p.scores.forEach((s, c) => expect(scores[c]).toBeCloseTo(s, 6));
    }
    const reference = summarizeScores(
      3,
      false,
      predictions.map((p) => ({ id: p.item.id, scores: p.scores, labels: p.item.labels })),
    );
    expect(result.top1).toBeCloseTo(reference.top1!, 12);
    expect(result.mean_class_accuracy).toBeCloseTo(reference.mean_class_accuracy!, 12);
    expect(result.top5).toBe(1); // 3 classes: the true class is always in the top 5
    const written = JSON.parse(
      readFileSync(join(dir, 'run', 'checkpoints', 'eval-test.json'), 'utf8'),
    );
    expect(written).toMatchObject({ split: 'test', num_classes: 3, top1: result.top1, clips: 2 });
  });

  it('CLI --json (fresh process): last line has the metric fields; a corrupt video is left out and counted', async () => {
    // a copy of the manifest with one video replaced by text
    const broken = join(dir, 'broken');
    mkdirSync(broken, { recursive: true });
    const csv = readFileSync(motionCsv, 'utf8');
    writeFileSync(join(broken, 'labels.txt'), readFileSync(join(dirname(motionCsv), 'labels.txt')));
    writeFileSync(join(broken, 'set.csv'), csv);
    const testItems = motion.items.filter((item) => item.split === 'test');
    for (const [index, item] of testItems.entries()) {
      const target = join(broken, item.path.slice(dirname(motionCsv).length + 1));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, index === 0 ? 'not a video\n' : readFileSync(item.path));
    }
    const out = join(dir, 'cli-eval.json');
    const child = await runProcess(
      process.execPath,
      [
        'bin/assemblenet.mjs',
        'eval',
        '--checkpoint',
        join(dir, 'run'),
        '--dataset',
        join(broken, 'set.csv'),
        '--cache-dir',
        cacheDir,
        '--workers',
        '1',
        '--backend',
        'wasm',
        '--out',
        out,
        '--json',
        // the copy holds only the test videos: the train rows name no video
        '--allow-missing',
      ],
      { cwd: ROOT, timeout: 300_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const last = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({
      num_classes: 3,
      num_videos: 5,
      split: 'test',
      multi_label: false,
    });
    for (const field of ['top1', 'top5', 'mean_class_accuracy'])
      expect(typeof last[field]).toBe('number');
    expect(last.failed.map((f: { id: string }) => f.id)).toEqual([testItems[0]!.id]);
    expect(child.stdout).toMatch(/left out 1 video\(s\) that could not be decoded/);
    expect(JSON.parse(readFileSync(out, 'utf8')).top1).toBe(last.top1);
  });

  it('reports mAP on a multi-label (Charades-style) set', async () => {
    const generated = await generateSyntheticDataset(CHARADES, { out: join(dir, 'charades') });
    const trainCsv = generated.manifests.find((path) => path.endsWith('_train.csv'))!;
    const testCsv = generated.manifests.find((path) => path.endsWith('_test.csv'))!;
    const charadesRun = await train(readManifest(trainCsv).manifest, join(dir, 'charades-run'));
    charadesRun.network.dispose();
    const test = readManifest(testCsv).manifest;
    const result = await runEvalJob({
      checkpoint: join(dir, 'charades-run'),
      manifest: test,
      cacheDir,
      pool,
      progress: false,
      out: false,
    });
    expect(result.multi_label).toBe(true);
    expect(result.map).toBeGreaterThan(0);
    expect(result.map).toBeLessThanOrEqual(1);
    expect(result.top1).toBeUndefined();
    // a single-label manifest against the multi-label checkpoint is refused
    await expect(
      runEvalJob({
        checkpoint: join(dir, 'charades-run'),
        manifest: motion,
        cacheDir,
        pool,
        progress: false,
      }),
    ).rejects.toThrow(/classes/);
  });
});
