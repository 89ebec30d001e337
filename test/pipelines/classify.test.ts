import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, readManifest, type Manifest } from '../../datasets/index.ts';
import { ClipPool, selectBackend } from '../../src/index.ts';
import { scorePredictions } from '../../pipelines/commands/score.ts';
import {
  loadNetworkFromCheckpoint,
  type CheckpointNetwork,
} from '../../src/networks/checkpointNetwork.ts';
import {
  collectInputs,
  collectVideos,
  runClassifyJob,
  topClasses,
  type ClassifyOkRow,
  type ClassifyRow,
} from '../../pipelines/jobs/classify.ts';
import { predictVideos } from '../../pipelines/jobs/predict.ts';
import { summarizeScores } from '../../pipelines/jobs/summarize.ts';
import { TINY_CLASSES, TINY_CONFIG, TINY_RGB_GENOME, tinyMotionSpec } from './fixtures/tinyRun.ts';
import { runTrainJob, toClipItem } from '../../pipelines/jobs/train.ts';
import { templateFor } from '../../src/networks/runConfig.ts';
import { runProcess } from '../fixtures/runProcess.ts';

// A tiny rgb-only network (width 1/8, 4 frames of 32 px) trained 1 epoch by the real train job.
const GENOME = TINY_RGB_GENOME;
const CONFIG = TINY_CONFIG;
// A class name with a comma, for the CSV output.
const MOTION = tinyMotionSpec(
  'classify-motion',
  5,
  TINY_CLASSES.map((c) => (c.name === 'right' ? { ...c, name: 'right, fast' } : c)),
);

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'anet-classify-'));
const cacheDir = join(dir, 'cache');
const videosDir = join(dir, 'videos');
const badVideo = join(videosDir, 'b', 'broken.mp4');
const out = join(dir, 'out.jsonl');
let pool: ClipPool;
let motionCsv: string;
let motion: Manifest;
let model: CheckpointNetwork;
/** Reference scores of the trained (never saved) network, by video id. */
const reference = new Map<string, number[]>();

function readRows(file: string): ClassifyRow[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ClassifyRow);
}

function cli(args: string[]) {
  return runProcess(process.execPath, ['bin/assemblenet.mjs', ...args], {
    cwd: ROOT,
    timeout: 300_000,
  });
}

function expectReferenceScores(row: ClassifyOkRow): void {
  const expected = reference.get(basename(row.video, '.mp4'));
  expect(expected, row.id).toBeDefined();
  expect(row.scores).toHaveLength(3);
  row.scores.forEach((s, c) =>
    expect(Math.abs(s - expected![c]!), `${row.id} class ${c}`).toBeLessThan(1e-6),
  );
}

beforeAll(async () => {
  await selectBackend('wasm');
  pool = new ClipPool({ workers: 2 });
  motionCsv = (await generateSyntheticDataset(MOTION, { out: join(dir, 'motion') })).manifests[0]!;
  motion = readManifest(motionCsv).manifest;
  const trained = await runTrainJob({
    genome: GENOME,
    manifest: motion,
    config: CONFIG,
    out: join(dir, 'run'),
    cacheDir,
    pool,
    skipEval: true,
    progress: false,
    log: () => {},
  });
  const testItems = motion.items.filter((item) => item.split === 'test');
  const predictions = await predictVideos({
    network: trained.network,
    pool,
    template: templateFor(GENOME, CONFIG, cacheDir),
    items: testItems.map(toClipItem),
    labels: { numClasses: 3, multiLabel: false },
    clips: 2,
    batchSize: 2,
  });
  trained.network.dispose();
  for (const p of predictions) reference.set(p.item.id, p.scores);
  // the test videos in nested folders, a corrupt "video" and a non-video file
  testItems.forEach((item, index) => {
    const folder = join(videosDir, index % 2 ? 'a' : join('b', 'nested'));
    mkdirSync(folder, { recursive: true });
    copyFileSync(item.path, join(folder, basename(item.path)));
  });
  writeFileSync(badVideo, 'this is text, not an mp4\n');
  writeFileSync(join(videosDir, 'notes.txt'), 'ignored: not a video extension inside a folder\n');
  model = await loadNetworkFromCheckpoint(join(dir, 'run'));
});
afterAll(async () => {
  model?.network.dispose();
  await pool?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('collectVideos', () => {
  it('walks folders recursively (video extensions only), reads lists relative to the list, keeps the first occurrence', () => {
    const inFolder = collectVideos([videosDir]);
    expect(inFolder).toHaveLength(7);
    expect(inFolder.every((path) => path.endsWith('.mp4'))).toBe(true);
    const list = join(dir, 'lists', 'some.lst');
    mkdirSync(join(dir, 'lists'), { recursive: true });
    writeFileSync(
      list,
      `# two videos and a missing one\n../videos/b/broken.mp4\n\n${inFolder[0]}\nmissing.webm\n`,
    );
    expect(collectVideos([list, videosDir])).toEqual([
      badVideo,
      inFolder[0],
      join(dir, 'lists', 'missing.webm'),
      ...inFolder.filter((p) => p !== badVideo && p !== inFolder[0]),
    ]);
    expect(() => collectVideos([join(dir, 'no-such-folder')])).toThrow(/does not exist/);
  });

  it('topClasses: descending scores, ties to the lower index', () => {
    expect(topClasses([0.2, 0.5, 0.2, 0.1], ['a', 'b', 'c', 'd'], 3)).toEqual([
      { label: 'b', index: 1, score: 0.5 },
      { label: 'a', index: 0, score: 0.2 },
      { label: 'c', index: 2, score: 0.2 },
    ]);
  });
});

describe('classify', () => {
  it('fresh process: one row per video, the corrupt one an error, scores equal the in-process network; exit 1 only for it', async () => {
    const child = await cli([
      'classify',
      videosDir,
      '--checkpoint',
      join(dir, 'run'),
      '--out',
      out,
      '--cache-dir',
      join(dir, 'cache-child'),
      '--workers',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(child.status, child.stderr).toBe(1);
    expect(child.stdout).toMatch(/classify: 6 ok, 0 skipped \(already done\), 1 failed/);
    const rows = readRows(out);
    expect(rows).toHaveLength(7);
    const errors = rows.filter((row) => 'error' in row);
    expect(errors.map((row) => row.video)).toEqual([badVideo]);
    for (const row of rows.filter((r): r is ClassifyOkRow => !('error' in r))) {
      expectReferenceScores(row);
      expect(row.clips).toBe(2);
      expect(row.top.map((t) => t.index)).toEqual(
        topClasses(row.scores, model.classes, 3).map((t) => t.index),
      );
      expect(row.top[0]!.label).toBe(model.classes[row.top[0]!.index]);
    }
  });

  it('rerun (fresh process): skips done videos, retries the error row, exits 1 again, still one row per video', async () => {
    const child = await cli([
      'classify',
      videosDir,
      '--checkpoint',
      join(dir, 'run'),
      '--out',
      out,
      '--cache-dir',
      join(dir, 'cache-child'),
      '--workers',
      '1',
      '--backend',
      'wasm',
    ]);
    expect(child.status, child.stderr).toBe(1);
    expect(child.stdout).toMatch(
      /classify: 0 ok, 6 skipped \(already done\), 1 failed \(1 earlier error row\(s\) retried\)/,
    );
    const rows = readRows(out);
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((row) => row.video)).size).toBe(7);
  });

  it('repairs a torn last line (killed run) and redoes that video', async () => {
    const rows = readRows(out).filter((r): r is ClassifyOkRow => !('error' in r));
    const torn = rows.at(-1)!;
    const text = [
      ...rows.slice(0, -1).map((row) => JSON.stringify(row)),
      JSON.stringify(torn).slice(0, 40),
    ].join('\n');
    writeFileSync(out, text);
    const result = await runClassifyJob({
      model,
      videos: collectVideos([videosDir]),
      out,
      pool,
      cacheDir,
      progress: false,
    });
    expect(result).toMatchObject({ repaired: true, ok: 1, skipped: 5, failed: 1, total: 7 });
    const after = readRows(out);
    expect(after).toHaveLength(7);
    const redone = after.find((row) => row.video === torn.video) as ClassifyOkRow;
    expectReferenceScores(redone);
  });

  it('the output is readable by `score` and gives the metrics of the reference scores', () => {
    const { summary, missing } = scorePredictions({ pred: out, gt: motionCsv, split: 'test' });
    const testItems = motion.items.filter((item) => item.split === 'test');
    const expected = summarizeScores(
      3,
      false,
      testItems.map((item) => ({
        id: item.id,
        scores: reference.get(item.id)!,
        labels: item.labels,
      })),
    );
    expect(missing).toBe(0);
    expect(summary.num_videos).toBe(6);
    expect(summary.top1).toBeCloseTo(expected.top1!, 12);
    expect(summary.mean_class_accuracy).toBeCloseTo(expected.mean_class_accuracy!, 12);
  });

  it('--format csv writes FILE.csv (top-k per video, quoted labels); --format charades the submission format', async () => {
    const videos = collectVideos([videosDir])
      .filter((path) => path !== badVideo)
      .slice(0, 2);
    const csvOut = join(dir, 'two.jsonl');
    const csv = await runClassifyJob({
      model,
      videos,
      out: csvOut,
      pool,
      cacheDir,
      progress: false,
      format: 'csv',
      top: 2,
    });
    expect(csv).toMatchObject({ ok: 2, failed: 0, sideFile: `${csvOut}.csv` });
    const lines = readFileSync(`${csvOut}.csv`, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('video,label,score');
    expect(lines).toHaveLength(1 + 2 * 2);
    const first = readRows(csvOut).find((row) => row.video === videos[0]) as ClassifyOkRow;
    const label = first.top[0]!.label.includes(',')
      ? `"${first.top[0]!.label}"`
      : first.top[0]!.label;
    expect(lines[1]).toBe(`${videos[0]},${label},${first.top[0]!.score}`);

    const charades = await runClassifyJob({
      model,
      videos,
      out: csvOut,
      pool,
      cacheDir,
      progress: false,
      format: 'charades',
    });
    expect(charades).toMatchObject({ ok: 0, skipped: 2, sideFile: `${csvOut}.charades.txt` });
    const { summary, missing } = scorePredictions({
      pred: `${csvOut}.charades.txt`,
      gt: motionCsv,
      split: 'test',
    });
    expect(summary.num_videos).toBe(2);
    expect(missing).toBe(4);
    expect(existsSync(`${csvOut}.csv`)).toBe(true);
  });
});

describe('ids are unique per job (never the bare file name)', () => {
  const ids = join(dir, 'ids');
  const same = (sub: string) => join(ids, sub, 'clip.mp4');
  beforeAll(() => {
    const [first, second] = motion.items.filter((item) => item.split === 'test');
    for (const [sub, item] of [
      ['a', first],
      ['b', second],
    ] as const) {
      mkdirSync(join(ids, sub), { recursive: true });
      copyFileSync(item!.path, same(sub));
    }
    // a name that is not UTF-8 (bytes 0xff 0xfe), found by walking the folder
    copyFileSync(
      first!.path,
      Buffer.concat([
        Buffer.from(join(ids, 'a', 'odd-')),
        Buffer.from([0xff, 0xfe, 0x2e]),
        Buffer.from('mp4'),
      ]),
    );
  });

  it('ids are paths relative to the folder, list or --root; equal ids are refused naming both', () => {
    const inFolder = collectInputs([ids]);
    expect([...inFolder.ids.values()].sort()).toEqual(['a/clip', 'a/odd-\\xff\\xfe', 'b/clip']);
    const list = join(ids, 'list.txt');
    writeFileSync(list, 'a/clip.mp4\nb/clip.mp4\nmissing.mp4\n');
    const listed = collectInputs([list]);
    expect([...listed.ids.values()]).toEqual(['a/clip', 'b/clip', 'missing']);
    expect(listed.missing).toEqual([join(ids, 'missing.mp4')]);
    expect(() => collectInputs([join(ids, 'a'), join(ids, 'b')])).toThrow(
      /expected unique video ids, got "clip" for .*a\/clip\.mp4 \(folder .*\) and .*b\/clip\.mp4/,
    );
    const rooted = collectInputs([join(ids, 'a'), join(ids, 'b')], { root: dir });
    expect([...rooted.ids.values()].sort()).toEqual([
      'ids/a/clip',
      'ids/a/odd-\\xff\\xfe',
      'ids/b/clip',
    ]);
    expect(() => collectInputs([join(ids, 'a')], { root: join(ids, 'b') })).toThrow(
      /expected a path inside the root .*\(--root\)/,
    );
  });

  it('--format charades over a/clip.mp4 and b/clip.mp4: two rows, two ids', async () => {
    const collected = collectInputs(
      [same('a'), same('b')].map((path) => relative(process.cwd(), path)),
    );
    const charadesOut = join(ids, 'two.jsonl');
    const result = await runClassifyJob({
      model,
      videos: collected.videos,
      ids: collected.ids,
      out: charadesOut,
      pool,
      cacheDir,
      progress: false,
      format: 'charades',
    });
    expect(result).toMatchObject({ ok: 2, failed: 0 });
    const written = readFileSync(`${charadesOut}.charades.txt`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(written).toHaveLength(2);
    expect(new Set(written).size).toBe(2);
    expect(written.every((id) => id!.endsWith('/clip'))).toBe(true);
  });

  it('--allow-missing (fresh process): a list entry naming no file gets an error row but exit 0', async () => {
    const list = join(ids, 'with-missing.txt');
    writeFileSync(list, 'a/clip.mp4\nmissing.mp4\n');
    const allowOut = join(ids, 'allow.jsonl');
    const child = await cli([
      'classify',
      list,
      '--checkpoint',
      join(dir, 'run'),
      '--out',
      allowOut,
      '--cache-dir',
      cacheDir,
      '--workers',
      '1',
      '--backend',
      'wasm',
      '--allow-missing',
    ]);
    expect(child.status, child.stderr).toBe(0);
    const rows = readRows(allowOut);
    expect(rows.map((row) => [row.id, 'error' in row])).toEqual(
      expect.arrayContaining([
        ['a/clip', false],
        ['missing', true],
      ]),
    );
  });
});
