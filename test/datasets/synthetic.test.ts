import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinSpecPath,
  datasetAnnotations,
  generateSyntheticDataset,
  loadSyntheticSpec,
  parseSyntheticSpec,
  planDataset,
  readManifest,
  type GenerationSummary,
  type MotionDatasetSpec,
} from '../../datasets/index.ts';
import { decodeFrames, probeVideo } from './ffmpegFrames.ts';

const SIZE = 32;
const FRAMES = 8;
const tinyMotion = parseSyntheticSpec({
  kind: 'motion',
  name: 'tiny-motion',
  seed: 7,
  video: { width: SIZE, height: SIZE, frames: FRAMES, fps: 8 },
  scene: { objects: [1, 2], objectSize: [7, 11] },
  videosPerClass: 8,
  splits: { train: 0.5, val: 0.25, test: 0.25 },
  classes: [
    { name: 'left', motion: { kind: 'translate', direction: 180, speed: 1.5 } },
    { name: 'right', motion: { kind: 'translate', direction: 0, speed: 1.5 } },
    { name: 'spin', motion: { kind: 'rotate', speed: 15 } },
  ],
}) as MotionDatasetSpec;

const tinyCharades = parseSyntheticSpec({
  kind: 'charades',
  name: 'tiny-charades',
  video: { width: SIZE, height: SIZE, frames: 16, fps: 8 },
  videos: 4,
  splits: { train: 0.5, val: 0.25, test: 0.25 },
  actionsPerVideo: [2, 3],
  actionDuration: [0.3, 0.6],
  classes: [
    { name: 'Thing moves up', motion: { kind: 'translate', direction: 90, speed: 1 } },
    { name: 'Thing pulses', motion: { kind: 'pulse', amplitude: 0.3, period: 4 } },
    { name: 'Thing spins', motion: { kind: 'rotate', speed: -10 } },
  ],
});

const dir = mkdtempSync(join(tmpdir(), 'anet-synthetic-'));
let first: GenerationSummary;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  first = await generateSyntheticDataset(tinyMotion, { out: join(dir, 'a') });
});

/** Grey level [h, w] of an rgb24 frame, box-blurred 3x3 (wrapping) to widen the gradient's reach. */
function grey(frame: Uint8Array): Float64Array {
  const g = new Float64Array(SIZE * SIZE);
  for (let i = 0; i < g.length; i++)
    g[i] = (frame[i * 3] + frame[i * 3 + 1] + frame[i * 3 + 2]) / 3;
  const blurred = new Float64Array(g.length);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          sum += g[((y + dy + SIZE) % SIZE) * SIZE + ((x + dx + SIZE) % SIZE)];
      blurred[y * SIZE + x] = sum / 9;
    }
  return blurred;
}

const at = (image: Float64Array, x: number, y: number) =>
  image[((y + SIZE) % SIZE) * SIZE + ((x + SIZE) % SIZE)];

/**
 * Horizontal motion of a clip, camera shake removed: each pair is first aligned by the integer
 * global shift with the least absolute difference (the textured background dominates it), then
 * u = -sum(Ix It) / sum(Ix^2) over the interior (Lucas-Kanade over the whole frame).
 */
function horizontalMotion(frames: Uint8Array[]): number {
  let total = 0;
  for (let t = 0; t + 1 < frames.length; t++) {
    const a = grey(frames[t]);
    const b = grey(frames[t + 1]);
    let best = { sx: 0, sy: 0, sad: Infinity };
    for (let sy = -2; sy <= 2; sy++)
      for (let sx = -2; sx <= 2; sx++) {
        let sad = 0;
        for (let y = 3; y < SIZE - 3; y++)
          for (let x = 3; x < SIZE - 3; x++) sad += Math.abs(at(b, x + sx, y + sy) - at(a, x, y));
        if (sad < best.sad) best = { sx, sy, sad };
      }
    let num = 0;
    let den = 0;
    for (let y = 3; y < SIZE - 3; y++)
      for (let x = 3; x < SIZE - 3; x++) {
        const ix = (at(a, x + 1, y) - at(a, x - 1, y)) / 2;
        const it = at(b, x + best.sx, y + best.sy) - at(a, x, y);
        num += ix * it;
        den += ix * ix;
      }
    total += -num / den;
  }
  return total / (frames.length - 1);
}

/** Statistics of single frames (averaged over the clip): mean and spread per channel, edge energy. */
function frameStatistics(frames: Uint8Array[]): number[] {
  const stats = new Array(8).fill(0);
  for (const frame of frames) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      for (let i = c; i < frame.length; i += 3) {
        sum += frame[i];
        sq += frame[i] * frame[i];
      }
      const n = frame.length / 3;
      stats[c] += sum / n / frames.length;
      stats[3 + c] += Math.sqrt(sq / n - (sum / n) ** 2) / frames.length;
    }
    const g = grey(frame);
    let ex = 0;
    let ey = 0;
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        ex += Math.abs(at(g, x + 1, y) - at(g, x, y));
        ey += Math.abs(at(g, x, y + 1) - at(g, x, y));
      }
    stats[6] += ex / frames.length;
    stats[7] += ey / frames.length;
  }
  return stats;
}

/** Cohen's d between two samples. */
function effectSize(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: number[]) => v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1);
  return (mean(a) - mean(b)) / Math.sqrt((variance(a) + variance(b)) / 2);
}

describe('synthetic motion set (3 classes, 32x32, 8 frames)', () => {
  it('writes every video as H.264 of the spec size and frame count, and a Kinetics CSV that reads back', () => {
    expect(first).toMatchObject({
      videos: 24,
      generated: 24,
      skipped: 0,
      classes: ['left', 'right', 'spin'],
    });
    expect(first.splits).toEqual({ train: 12, val: 6, test: 6 });
    const { manifest, reader } = readManifest(first.manifests[0]);
    expect(reader).toBe('kinetics');
    expect(manifest.missing).toEqual([]);
    expect(manifest.items).toHaveLength(24);
    expect(manifest.classes).toEqual(['left', 'right', 'spin']);
    for (const item of manifest.items.slice(0, 4)) {
      const stream = probeVideo(item.path);
      expect([
        stream.codec_name,
        stream.width,
        stream.height,
        stream.nb_frames,
        stream.pix_fmt,
      ]).toEqual(['h264', SIZE, SIZE, String(FRAMES), 'yuv420p']);
    }
  });

  it('is deterministic from the seed (plan, CSV and video bytes) and differs for another seed', async () => {
    const again = planDataset(tinyMotion);
    expect(JSON.stringify(again)).toBe(JSON.stringify(planDataset(tinyMotion)));
    const other = planDataset(tinyMotion, 8);
    expect(JSON.stringify(other.videos.map((v) => v.scene))).not.toBe(
      JSON.stringify(again.videos.map((v) => v.scene)),
    );
    const second = await generateSyntheticDataset(tinyMotion, { out: join(dir, 'b') });
    const text = (path: string) => readFileSync(path, 'utf8');
    expect(text(second.manifests[0])).toBe(text(first.manifests[0]));
    const generation = (root: string) => JSON.parse(text(join(root, 'generation.json')));
    expect(generation(join(dir, 'b')).videos).toEqual(generation(join(dir, 'a')).videos);
    const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    const file = again.videos[5].file;
    expect(sha(join(dir, 'b', file))).toBe(sha(join(dir, 'a', file)));
  });

  it('skips videos that exist with the same parameters and redoes changed ones', async () => {
    const file = join(dir, 'a', planDataset(tinyMotion).videos[0].file);
    const before = statSync(file).mtimeMs;
    const cached = await generateSyntheticDataset(tinyMotion, { out: join(dir, 'a') });
    expect(cached).toMatchObject({ generated: 0, skipped: 24 });
    expect(statSync(file).mtimeMs).toBe(before);
    const brighter = { ...tinyMotion, scene: { ...tinyMotion.scene, noise: 2 } };
    const redone = await generateSyntheticDataset(brighter, { out: join(dir, 'c') });
    expect(redone.generated).toBe(24);
  });

  it('left and right differ by motion, not by what single frames show', () => {
    const { manifest } = readManifest(first.manifests[0]);
    const byClass = (label: number) =>
      manifest.items
        .filter((item) => item.labels[0] === label)
        .map((item) => decodeFrames(item.path, SIZE, SIZE));
    const left = byClass(0);
    const right = byClass(1);
    const motionLeft = left.map(horizontalMotion);
    const motionRight = right.map(horizontalMotion);
    // every clip's motion sign says its class
    expect(motionLeft.every((u) => u < 0)).toBe(true);
    expect(motionRight.every((u) => u > 0)).toBe(true);
    const motionD = Math.abs(effectSize(motionLeft, motionRight));
    if (process.env.SHOW_SEPARABILITY) console.log({ motionLeft, motionRight, motionD });
    expect(motionD).toBeGreaterThan(2);
    // single-frame statistics: no systematic difference (|d| far below the motion's)
    const statsLeft = left.map(frameStatistics);
    const statsRight = right.map(frameStatistics);
    for (let k = 0; k < statsLeft[0].length; k++) {
      const d = effectSize(
        statsLeft.map((s) => s[k]),
        statsRight.map((s) => s[k]),
      );
      if (process.env.SHOW_SEPARABILITY) console.log(`frame statistic ${k}: d=${d.toFixed(2)}`);
      expect(Math.abs(d), `frame statistic ${k}`).toBeLessThan(1.5);
    }
  });
});

describe('synthetic charades set', () => {
  it('writes Charades CSVs per split with timed actions, and a classes file the reader finds', async () => {
    const summary = await generateSyntheticDataset(tinyCharades, { out: join(dir, 'ch') });
    expect(summary.manifests.map((p) => p.split('/').pop())).toEqual([
      'tiny-charades_train.csv',
      'tiny-charades_val.csv',
      'tiny-charades_test.csv',
    ]);
    expect(readFileSync(summary.classesFile, 'utf8')).toBe(
      'c000 Thing moves up\nc001 Thing pulses\nc002 Thing spins\n',
    );
    const plan = planDataset(tinyCharades);
    // one split CSV leads to the others: every video once, whichever file is read
    const items = readManifest(summary.manifests[0]!).manifest.items;
    expect(items).toHaveLength(4);
    for (const path of summary.manifests)
      expect(
        readManifest(path)
          .manifest.items.map((i) => i.id)
          .sort(),
      ).toEqual(items.map((i) => i.id).sort());
    for (const item of items) {
      const planned = plan.videos.find((v) => v.id === item.id);
      expect(planned).toBeDefined();
      expect(item.split).toBe(planned?.split);
      expect(item.labels.length).toBeGreaterThanOrEqual(2);
      expect(item.labels).toEqual(planned?.labels);
      expect(item.duration).toBe(2);
      for (const [i, segment] of (item.segments ?? []).entries()) {
        const p = planned?.segments[i];
        // written with two decimals
        expect(Math.abs(segment.start - (p?.startFrame ?? 0) / 8)).toBeLessThanOrEqual(0.0051);
        expect(Math.abs(segment.end - ((p?.endFrame ?? 0) + 1) / 8)).toBeLessThanOrEqual(0.0051);
        expect(segment.label).toBe(p?.label);
      }
      expect(probeVideo(item.path)).toMatchObject({ codec_name: 'h264', nb_frames: '16' });
    }
    // the free-text fields hold commas: they must be quoted for the CSV to read back
    expect(readFileSync(summary.manifests[0], 'utf8')).toMatch(/"In a synthetic room, /);
    expect(datasetAnnotations(plan).map((f) => f.name)).toContain('classes.txt');
  });
});

describe('annotations', () => {
  it('class names with quotes and commas round-trip through csv-parse', () => {
    const names = ['left, slow', 'say "hi"', 'spin'];
    const spec = parseSyntheticSpec({
      ...tinyMotion,
      classes: tinyMotion.classes.map((c, i) => ({ ...c, name: names[i] })),
    });
    const plan = planDataset(spec);
    const csv = datasetAnnotations(plan).find((f) => f.role === 'manifest')!.text;
    expect(csv).toContain('"left, slow",');
    expect(csv).toContain('"say ""hi""",');
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(plan.videos.length);
    expect(records.map((r) => r.label)).toEqual(plan.videos.map((v) => names[v.labels[0]!]));
  });
});

describe('specs', () => {
  it('the shipped specs validate', () => {
    expect(loadSyntheticSpec(builtinSpecPath('synthetic-motion'))).toMatchObject({
      kind: 'motion',
    });
    expect(loadSyntheticSpec(builtinSpecPath('synthetic-charades'))).toMatchObject({
      kind: 'charades',
    });
  });

  it('errors name the path of each problem', () => {
    const bad = {
      ...tinyMotion,
      video: { ...tinyMotion.video, width: 33 },
      classes: [
        tinyMotion.classes[0],
        { name: 'x', motion: { kind: 'translate', direction: 0, speed: -1 } },
      ],
    };
    expect(() => parseSyntheticSpec(bad, 'bad.json')).toThrow(
      /synthetic spec: video\.width: expected an even width.*; classes\[1\]\.motion\.speed: .*\(bad\.json\)/,
    );
  });
});
