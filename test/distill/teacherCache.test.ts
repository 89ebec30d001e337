/** TeacherCache: round trip on disk, torn tail, other teacher refused, fill computes only missing clips. */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { tf } from '../../src/engine/tf.ts';
import { TEACHER_LOGITS_FILE, TeacherCache } from '../../src/distill/teacherCache.ts';

let dir: string;

describe('TeacherCache', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'teacher-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores logits per (video, clip) and reloads them', async () => {
    const cache = await TeacherCache.open(join(dir, 'a'), { teacher: 'net-1', numClasses: 3 });
    cache.put('v1', 'test:0', [0.5, -1, 2]);
    cache.put('v1', 'test:1', [1, 2, 3]);
    cache.put('v2', 'test:0', [-3, 0.25, 0]);
    await cache.flush();
    const again = await TeacherCache.open(join(dir, 'a'), { teacher: 'net-1', numClasses: 3 });
    expect(again.size).toBe(3);
    expect(Array.from(again.get('v1', 'test:1')!)).toEqual([1, 2, 3]);
    expect(again.get('v2', 'test:1')).toBeUndefined();
    const batch = again.batch([
      { video: 'v2', clip: 'test:0' },
      { video: 'v1', clip: 'test:0' },
    ]);
    expect(Array.from(batch.dataSync())).toEqual([-3, 0.25, 0, 0.5, -1, 2]);
    batch.dispose();
    expect(() => again.batch([{ video: 'v9', clip: 'x' }])).toThrow(/v9/);
  });

  it('ignores a torn last line and refuses another teacher', async () => {
    const folder = join(dir, 'b');
    const cache = await TeacherCache.open(folder, { teacher: 't', numClasses: 2 });
    cache.put('v', 'c', [1, 2]);
    await cache.flush();
    await appendFile(join(folder, TEACHER_LOGITS_FILE), '{"video":"w","clip":"c","logi');
    const again = await TeacherCache.open(folder, { teacher: 't', numClasses: 2 });
    expect(again.size).toBe(1);
    await expect(TeacherCache.open(folder, { teacher: 'other', numClasses: 2 })).rejects.toThrow(
      /teacher "t"|expected teacher/,
    );
  });

  it('fill runs the teacher only on missing clips, in batches', async () => {
    const cache = await TeacherCache.open(join(dir, 'c'), { teacher: 't', numClasses: 2 });
    cache.put('v0', 'k', [9, 9]);
    const calls: number[] = [];
    const clips = [0, 1, 2, 3, 4].map((i) => ({ video: `v${i}`, clip: 'k' }));
    const computed = await cache.fill(
      clips,
      async (part) => {
        calls.push(part.length);
        return tf.tensor2d(part.map((ref) => [Number(ref.video.slice(1)), -1]));
      },
      3,
    );
    expect(computed).toBe(4);
    expect(calls).toEqual([3, 1]);
    expect(Array.from(cache.get('v3', 'k')!)).toEqual([3, -1]);
    const lines = (await readFile(cache.file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1 + 5); // header, the pending v0, the 4 computed
  });
});
