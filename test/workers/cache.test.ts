import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCache, cacheKey, defaultCacheDir, fileIdentity } from '../../src/cache/diskCache.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { pattern, type CacheWriterTask } from './fixtures/cacheWriterTask.ts';

const root = mkdtempSync(join(tmpdir(), 'anet-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('DiskCache entries', () => {
  it('round-trips uint8 [2,3,4,3] + float32 [5] arrays and meta', () => {
    const cache = new DiskCache(join(root, 'roundtrip'));
    const rgb = Uint8Array.from({ length: 2 * 3 * 4 * 3 }, (_, i) => (i * 13) & 255);
    const scores = Float32Array.from([0.5, -1.25, 3e-7, 1e9, Number.NEGATIVE_INFINITY]);
    const key = cacheKey({ test: 'roundtrip' });
    cache.write('clips', key, { video: 'a.mp4', frames: [0, 4] }, [
      { name: 'rgb', dtype: 'uint8', shape: [2, 3, 4, 3], data: rgb },
      { name: 'scores', dtype: 'float32', shape: [5], data: scores },
    ]);
    const read = cache.read<{ video: string; frames: number[] }>('clips', key);
    expect(read.status).toBe('hit');
    if (read.status !== 'hit') return;
    expect(read.entry.meta).toEqual({ video: 'a.mp4', frames: [0, 4] });
    expect(read.entry.arrays.get('rgb')!.shape).toEqual([2, 3, 4, 3]);
    expect(Array.from(read.entry.arrays.get('rgb')!.data)).toEqual(Array.from(rgb));
    expect(Array.from(read.entry.arrays.get('scores')!.data)).toEqual(Array.from(scores));
    expect(read.entry.arrays.get('scores')!.data).toBeInstanceOf(Float32Array);
    expect(cache.read('clips', cacheKey({ test: 'other' })).status).toBe('miss');
  });

  it('keys: equal for reordered object fields, different when any parameter changes', () => {
    const base = {
      video: { path: '/v.mp4', size: 10, mtimeMs: 5 },
      frames: [0, 2, 4],
      size: 112,
      flow: { method: 'tvl1', bound: 20 },
    };
    const same = {
      size: 112,
      flow: { bound: 20, method: 'tvl1' },
      frames: [0, 2, 4],
      video: { mtimeMs: 5, size: 10, path: '/v.mp4' },
    };
    expect(cacheKey(same)).toBe(cacheKey(base));
    const variants = [
      { ...base, frames: [0, 2, 5] },
      { ...base, size: 113 },
      { ...base, flow: { method: 'farneback', bound: 20 } },
      { ...base, flow: { method: 'tvl1', bound: 15 } },
      { ...base, video: { ...base.video, mtimeMs: 6 } },
    ];
    const keys = new Set([cacheKey(base), ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('file identity: stat mode follows mtime and size, content mode survives a copy', () => {
    const file = join(root, 'video.bin');
    writeFileSync(file, Buffer.alloc(200_000, 1));
    const before = fileIdentity(file);
    utimesSync(file, new Date(1_000_000), new Date(2_000_000));
    const touched = fileIdentity(file);
    expect(cacheKey(touched)).not.toBe(cacheKey(before));
    const copy = join(root, 'copy.bin');
    copyFileSync(file, copy);
    expect(cacheKey(fileIdentity(copy, 'content'))).toBe(cacheKey(fileIdentity(file, 'content')));
    expect(cacheKey(fileIdentity(copy))).not.toBe(cacheKey(fileIdentity(file)));
    writeFileSync(copy, Buffer.concat([Buffer.alloc(200_000, 1), Buffer.from([9])]));
    expect(cacheKey(fileIdentity(copy, 'content'))).not.toBe(
      cacheKey(fileIdentity(file, 'content')),
    );
  });

  it('detects a flipped payload byte, a truncated file and a damaged header; the entry is then recomputed', () => {
    const cache = new DiskCache(join(root, 'corrupt'));
    const key = cacheKey({ test: 'corrupt' });
    const data = pattern(10_000);
    const write = () =>
      cache.write('clips', key, { n: 1 }, [
        { name: 'data', dtype: 'uint8', shape: [10_000], data },
      ]);
    const damages: [string, (bytes: Buffer) => Buffer][] = [
      [
        'payload checksum',
        (b) => {
          b[b.length - 100] ^= 1;
          return b;
        },
      ],
      ['truncated', (b) => b.subarray(0, b.length - 1)],
      [
        'header checksum',
        (b) => {
          b[40] ^= 0x20;
          return b;
        },
      ],
      [
        'bad magic',
        (b) => {
          b[0] = 0;
          return b;
        },
      ],
    ];
    for (const [reason, damage] of damages) {
      const path = write();
      writeFileSync(path, damage(Buffer.from(readFileSync(path))));
      const read = cache.read('clips', key);
      expect(read.status).toBe('invalid');
      if (read.status === 'invalid') expect(read.reason).toContain(reason);
      expect(cache.read('clips', key).status).toBe('miss'); // the bad file was removed
      write();
      expect(cache.read('clips', key).status).toBe('hit');
    }
  });

  it('sweeps temporaries older than the limit and keeps young ones and entries', () => {
    const dir = join(root, 'sweep');
    const cache = new DiskCache(dir);
    const key = cacheKey({ test: 'sweep' });
    const entry = cache.write('clips', key, {}, []);
    const old = `${entry}.1-0-aaaa.tmp`;
    const young = `${entry}.1-0-bbbb.tmp`;
    writeFileSync(old, 'partial');
    writeFileSync(young, 'partial');
    utimesSync(old, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));
    expect(cache.sweepTemporaries()).toBe(1);
    expect(listFiles(dir).sort()).toEqual([entry, young].sort());
    expect(new DiskCache(join(root, 'does-not-exist')).sweepTemporaries()).toBe(0);
  });

  it('default directory: $XDG_CACHE_HOME/assemblenet, else ~/.cache/assemblenet', () => {
    const saved = { xdg: process.env.XDG_CACHE_HOME, own: process.env.ASSEMBLENET_CACHE_DIR };
    delete process.env.ASSEMBLENET_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/tmp/xdg-test';
    expect(defaultCacheDir()).toBe('/tmp/xdg-test/assemblenet');
    delete process.env.XDG_CACHE_HOME;
    expect(defaultCacheDir()).toMatch(/\.cache\/assemblenet$/);
    if (saved.xdg !== undefined) process.env.XDG_CACHE_HOME = saved.xdg;
    if (saved.own !== undefined) process.env.ASSEMBLENET_CACHE_DIR = saved.own;
  });

  it('concurrent writers (2 worker threads + this thread) never expose a partial entry', async () => {
    const dir = join(root, 'race');
    const cache = new DiskCache(dir);
    const key = cacheKey({ test: 'race' });
    const bytes = 1 << 20;
    const expected = pattern(bytes);
    const pool = new WorkerPool<CacheWriterTask, number>({
      workers: 2,
      taskModule: new URL('./fixtures/cacheWriterTask.ts', import.meta.url),
    });
    try {
      const writers = Promise.all(
        [0, 1, 2, 3].map(() => pool.run({ dir, key, bytes, repeats: 10 })),
      );
      let done = false;
      void writers.finally(() => (done = true));
      const seen = { hit: 0, miss: 0, invalid: 0 };
      while (!done) {
        const read = cache.read<{ writer: number }>('race', key);
        seen[read.status]++;
        if (read.status === 'hit') {
          const data = read.entry.arrays.get('data')!.data as Uint8Array;
          expect(
            Buffer.compare(
              Buffer.from(data.buffer, data.byteOffset, data.byteLength),
              Buffer.from(expected),
            ),
          ).toBe(0);
        }
        if (read.status === 'invalid') throw new Error(read.reason);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(await writers).toEqual([10, 10, 10, 10]);
      expect(seen.hit).toBeGreaterThan(0);
      expect(cache.read('race', key).status).toBe('hit');
      expect(listFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await pool.destroy();
    }
  });
});
