import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  writeFileAtomic,
  writeFileAtomicAsync,
  writeJsonAtomic,
} from '../../src/util/atomicFile.ts';

const dir = mkdtempSync(join(tmpdir(), 'an-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic file writes', () => {
  it('creates folders, replaces the old bytes and leaves no temporary file', async () => {
    const path = join(dir, 'a/b/file.bin');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    writeFileAtomic(path, 'new text');
    expect(readFileSync(path, 'utf8')).toBe('new text');
    await writeFileAtomicAsync(path, new Uint8Array([7]));
    expect([...readFileSync(path)]).toEqual([7]);
    expect(readdirSync(join(dir, 'a/b'))).toEqual(['file.bin']);
  });

  it('writes JSON with a final newline', () => {
    const path = join(dir, 'value.json');
    writeJsonAtomic(path, { clipFrames: [1, 2] });
    expect(readFileSync(path, 'utf8')).toBe('{\n  "clipFrames": [\n    1,\n    2\n  ]\n}\n');
  });

  it('keeps the old file and removes its temporary when the rename fails', () => {
    const target = join(dir, 'occupied');
    writeFileSync(join(dir, 'keep.txt'), 'old');
    // A directory cannot be replaced by a file: the rename fails after the temporary was written.
    writeFileAtomic(join(target, 'x'), 'x');
    expect(() => writeFileAtomic(target, 'y')).toThrow();
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('old');
  });
});
