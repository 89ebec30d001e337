import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClipPool } from '../../src/workers/clipPool.ts';
import {
  extractDataset,
  extractionPlacements,
  type ExtractOptions,
} from '../../src/workers/extract.ts';
import { quantizeFlow } from '../../src/flow/normalize.ts';
import type { ClipRequest } from '../../src/workers/clipSpec.ts';
import { decodeFrameIndices } from '../../src/video/decode.ts';
import { rgbToGray } from '../../src/flow/gray.ts';
import { tvl1Flow } from '../../src/flow/tvl1.ts';
import { resolveTool } from '../../src/video/tools.ts';
import { buildProgram } from '../../pipelines/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'anet-extract-'));
const videos = {
  a: join(root, 'a.mp4'),
  b: join(root, 'b.avi'),
  bad: join(root, 'bad.mp4'),
};
const items = [
  { id: 'a', path: videos.a },
  { id: 'b', path: videos.b },
  { id: 'bad', path: videos.bad },
];
const common: ExtractOptions = {
  workers: 2,
  frames: 3,
  size: 24,
  clips: 1,
  trainClips: 1,
  flow: 'tvl1',
};

function listEntries(dir: string): string[] {
  return readdirSync(join(dir, 'streams'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.bin'))
    .map((d) => join(d.parentPath, d.name));
}

beforeAll(() => {
  const ffmpeg = resolveTool('ffmpeg').path;
  const make = (source: string, codec: string[], out: string) =>
    execFileSync(ffmpeg, ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, ...codec, out]);
  make(
    'testsrc2=size=48x36:rate=10:duration=1.2',
    ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
    videos.a,
  );
  make('testsrc=size=40x30:rate=8:duration=1', ['-c:v', 'mpeg4'], videos.b);
  writeFileSync(videos.bad, readFileSync(videos.a).subarray(0, 1500)); // a truncated mp4
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('extractDataset', () => {
  const cacheDir = join(root, 'cache');
  let pool: ClipPool;
  beforeAll(() => {
    pool = new ClipPool({ workers: 2 });
  });
  afterAll(() => pool.destroy());

  it('computes every clip, reports the corrupt video and skips it; a second run is all cache hits', async () => {
    const events: string[] = [];
    const first = await extractDataset(
      { items },
      { ...common, pool, cacheDir, onProgress: (e) => events.push(`${e.done}/${e.total}`) },
    );
    expect({
      ok: first.ok,
      cached: first.cached,
      failed: first.failed,
      total: first.total,
    }).toEqual({ ok: 2, cached: 0, failed: 1, total: 3 });
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0]!.id).toBe('bad');
    expect(first.failures[0]!.reason).toContain(videos.bad);
    expect(events.at(-1)).toBe('6/6');
    // 2 good videos x 2 clips x (rgb + flow) entries
    expect(listEntries(cacheDir)).toHaveLength(8);

    const second = await extractDataset({ items }, { ...common, pool, cacheDir });
    expect({ ok: second.ok, cached: second.cached, failed: second.failed }).toEqual({
      ok: 0,
      cached: 2,
      failed: 1,
    });
    expect(second.videos.find((v) => v.id === 'a')).toMatchObject({
      status: 'cached',
      clips: 2,
      cachedClips: 2,
    });
  });

  it('recomputes a damaged cache entry and says so', async () => {
    const [entry] = listEntries(cacheDir);
    const bytes = readFileSync(entry!);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(entry!, bytes);
    const run = await extractDataset({ items: items.slice(0, 2) }, { ...common, pool, cacheDir });
    expect(run.failed).toBe(0);
    expect(run.ok).toBe(1);
    expect(run.cached).toBe(1);
    const recomputed = run.videos.flatMap((v) => v.recomputed);
    expect(recomputed).toHaveLength(1);
    expect(recomputed[0]).toContain('checksum');
    const again = await extractDataset({ items: items.slice(0, 2) }, { ...common, pool, cacheDir });
    expect(again.cached).toBe(2);
  });

  it('cached arrays equal a fresh computation and an independent decode + TV-L1 + quantisation', async () => {
    {
      const request: ClipRequest = {
        video: videos.a,
        streams: [
          { name: 'rgb', kind: 'rgb', frames: 3, stride: 1 },
          { name: 'flow', kind: 'flow', frames: 3, stride: 2 },
        ],
        fps: 'native',
        placement: extractionPlacements(items[0]!, 1, 0)[0]!,
        geometry: { shortSide: 24, crop: 24, cropMode: 'center' },
        flow: { method: 'tvl1', bound: 20 },
      };
      const [fresh, cached] = await Promise.all([
        pool.run(request),
        pool.run({ ...request, cache: { dir: cacheDir } }),
      ]);
      const reread = await pool.run({ ...request, cache: { dir: cacheDir } });
      expect(fresh.cached).toBe(false);
      expect(reread.cached).toBe(true);
      expect(cached.streams.map((s) => s.key)).toEqual(reread.streams.map((s) => s.key));
      for (const result of [cached, reread]) {
        for (const [s, stream] of result.streams.entries()) {
          expect(Buffer.from(stream.data!).equals(Buffer.from(fresh.streams[s]!.data!))).toBe(true);
        }
      }
      const [rgb, flow] = fresh.streams;
      expect(rgb!.shape).toEqual([3, 24, 24, 3]);
      expect(flow!.shape).toEqual([3, 24, 24, 2]);
      // flow convention: pairs are (f_k, f_k + stride)
      expect(flow!.pairIndices).toEqual(flow!.indices.map((i) => Math.min(i + 2, 11)));
      // independent reference: the video module's decoder, the flow module's TV-L1, a plain loop
      const wanted = [...rgb!.indices, ...flow!.indices, ...flow!.pairIndices!];
      const frames = await decodeFrameIndices(videos.a, wanted, {
        shortSide: 24,
        crop: 24,
        cropMode: 'center',
      });
      const frameOf = (index: number) => frames[wanted.indexOf(index)]!.data;
      rgb!.indices.forEach((index, t) => {
        expect(
          Buffer.from(rgb!.data!.subarray(t * 24 * 24 * 3, (t + 1) * 24 * 24 * 3)).equals(
            Buffer.from(frameOf(index)),
          ),
        ).toBe(true);
      });
      const t = 1;
      const field = tvl1Flow(
        rgbToGray(frameOf(flow!.indices[t]!), 24, 24),
        rgbToGray(frameOf(flow!.pairIndices![t]!), 24, 24),
        24,
        24,
      );
      const expected = Uint8Array.from(field, (v) =>
        Math.round((Math.min(20, Math.max(-20, v)) + 20) * (255 / 40)),
      );
      const got = flow!.data!.subarray(t * 24 * 24 * 2, (t + 1) * 24 * 24 * 2);
      expect(Array.from(got)).toEqual(Array.from(expected));
      expect(new Set(got).size).toBeGreaterThan(1); // the test pattern moves: not all-zero flow

      // another flow method: another cache key for the flow stream, the same one for rgb
      const farneback = await pool.run({
        ...request,
        flow: { method: 'farneback', bound: 20 },
        cache: { dir: cacheDir },
      });
      expect(farneback.streams[0]!.key).toBe(cached.streams[0]!.key);
      expect(farneback.streams[0]!.cached).toBe(true);
      expect(farneback.streams[1]!.key).not.toBe(cached.streams[1]!.key);
      expect(farneback.streams[1]!.cached).toBe(false);
      expect(new Set(farneback.streams[1]!.data!).size).toBeGreaterThan(1);
    }
  });

  it('the cached flow convention, hand-computed: clip to +-bound, map to 0..255', () => {
    const out = quantizeFlow(Float32Array.from([-25, -20, 0, 10, 20, 25, Number.NaN]), 20);
    expect(Array.from(out)).toEqual([0, 0, 128, 191, 255, 255, 128]);
  });

  it('the CLI exits 1 when a video failed, 0 when all succeeded, and prints the summary', async () => {
    const list = join(root, 'all.txt');
    writeFileSync(list, 'a.mp4 walk\nb.avi run\nbad.mp4 run\n');
    const good = join(root, 'good.txt');
    writeFileSync(good, 'a.mp4 walk\nb.avi run\n');
    const output: string[] = [];
    const write = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => (output.push(String(chunk)), true));
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const saved = process.exitCode;
    const run = async (manifest: string) => {
      process.exitCode = undefined;
      await (await buildProgram()).parseAsync([
        'node',
        'assemblenet',
        'extract',
        '--dataset',
        manifest,
        '--cache-dir',
        cacheDir,
        '--workers',
        '2',
        '--frames',
        '3',
        '--size',
        '24',
        '--clips',
        '1',
        '--train-clips',
        '1',
        '--flow',
        'tvl1',
        '--json',
      ]);
      return process.exitCode;
    };
    try {
      expect(await run(list)).toBe(1);
      expect(await run(good)).toBe(0);
    } finally {
      write.mockRestore();
      errors.mockRestore();
      process.exitCode = saved;
    }
    const summaries = output.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(summaries.map((s) => [s.ok, s.cached, s.failed])).toEqual([
      [0, 2, 1],
      [0, 2, 0],
    ]);
    expect(output.join('')).toContain('failed:\n  bad: ');
  });
});
