/**
 * Messy manifests (issue 13's probes): every row becomes an item or is reported with file:line
 * and why; labels with spaces; names that are not UTF-8; duplicate ids; paths from elsewhere.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCharadesCsv } from '../../datasets/manifests/charades.ts';
import { readFolderDataset } from '../../datasets/manifests/folder.ts';
import { readKineticsCsv } from '../../datasets/manifests/kinetics.ts';
import { readVideoList } from '../../datasets/manifests/list.ts';
import { InputError } from '../../src/index.ts';
import { fileWriter } from './fixtures/scratchFiles.ts';
import { thrown } from '../fixtures/thrown.ts';

let dir: string;
const write = fileWriter(() => dir);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anet-rows-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rows without a video are reported, never dropped silently', () => {
  it('a list row whose file does not exist: an error naming file:line and why; --allow-missing (skip) lists it', () => {
    write('m1/a.mp4');
    const list = write('m1/list.txt', 'a.mp4 walk\n# comment\nnope.mp4 run\n');
    const error = thrown(() => readVideoList(list));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/got 1 that do not \(--allow-missing skips them\)/);
    expect(error.message).toContain('nope.mp4 (list.txt:3: no such file)');
    const skipped = readVideoList(list, { missing: 'skip' });
    expect(skipped.items.map((item) => item.id)).toEqual(['a']);
    expect(skipped.missing).toEqual(['nope.mp4 (list.txt:3: no such file)']);
  });

  it('a Kinetics row without its clip: the same error by default', () => {
    write('m2/x_000000_000001.mp4');
    const csv = write(
      'm2/train.csv',
      'label,youtube_id,time_start,time_end,split\na,x,0,1,train\nb,gone,0,1,train\n',
    );
    expect(thrown(() => readKineticsCsv(csv)).message).toMatch(
      /got 1 that do not .*gone_000000_000001 \(train\.csv:3: no gone_000000_000001\.mp4/,
    );
  });
});

describe('list rows: path<TAB>label, "quoted path" label, or the last field is the label', () => {
  it('"a.mp4 move left" is reported as ambiguous (no phantom class "left"); TAB and quotes give the label "move left"', () => {
    write('s1/a.mp4');
    write('s1/b c.mp4');
    write('s1/q"x.mp4');
    const ambiguous = write('s1/ambiguous.txt', 'a.mp4 move left\nb c.mp4 jump\n');
    const error = thrown(() => readVideoList(ambiguous));
    expect(error.message).toContain(
      'a.mp4 move (ambiguous.txt:1: ambiguous: "a.mp4 move" does not exist but "a.mp4" does; ' +
        'for the label "move left" write "a.mp4<TAB>move left" or quote the path)',
    );
    const skipped = readVideoList(ambiguous, { missing: 'skip' });
    expect(skipped.classes).toEqual(['jump']);
    expect(skipped.items.map((item) => [item.id, item.labels])).toEqual([['b c', [0]]]);

    const written = write(
      's1/written.txt',
      'a.mp4\tmove left\n"b c.mp4" move left\n"q""x.mp4"  jump high \n',
    );
    const m = readVideoList(written);
    expect(m.classes).toEqual(['jump high', 'move left']);
    expect(m.items.map((item) => [item.id, item.labels])).toEqual([
      ['a', [1]],
      ['b c', [1]],
      ['q"x', [0]],
    ]);
  });

  it('an unclosed quote names file:line', () => {
    const bad = write('s2/bad.txt', '"a.mp4 walk\n');
    expect(thrown(() => readVideoList(bad)).message).toBe(
      'video list: expected a closing quote after the path, got none (bad.txt:1)',
    );
  });
});

describe('file names are bytes', () => {
  const name = Buffer.concat([
    Buffer.from('clip-'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('.mp4'),
  ]);

  it('a list naming a file whose name is not UTF-8 reads it (a usable path, an escaped id)', () => {
    const folder = join(dir, 'b1');
    mkdirSync(folder, { recursive: true });
    writeFileSync(Buffer.concat([Buffer.from(`${folder}/`), name]), 'video bytes');
    const list = write('b1/list.txt', Buffer.concat([name, Buffer.from(' walk\n')]));
    const m = readVideoList(list);
    expect(m.items).toHaveLength(1);
    expect(m.items[0]!.id).toBe('clip-\\xff\\xfe');
    expect(m.classes).toEqual(['walk']);
    // the path opens the real file (an alias link: a JS string cannot hold the name)
    expect(existsSync(m.items[0]!.path)).toBe(true);
  });

  it('a folder dataset holding such a file reads it too', () => {
    const folder = join(dir, 'b2/walk');
    mkdirSync(folder, { recursive: true });
    writeFileSync(Buffer.concat([Buffer.from(`${folder}/`), name]), 'video bytes');
    const m = readFolderDataset(join(dir, 'b2'));
    expect(m.items.map((item) => item.id)).toEqual(['walk/clip-\\xff\\xfe']);
    expect(existsSync(m.items[0]!.path)).toBe(true);
  });
});

describe('duplicate ids are an error naming both lines', () => {
  it('Kinetics: the same clip twice with two labels', () => {
    write('d1/x_000000_000001.mp4');
    const csv = write(
      'd1/train.csv',
      'label,youtube_id,time_start,time_end,split\na,x,0,1,train\nb,x,0,1,train\n',
    );
    expect(thrown(() => readKineticsCsv(csv)).message).toBe(
      'kinetics csv: expected unique video ids, got "x_000000_000001" on train.csv:2 and on train.csv:3',
    );
  });

  it('list: the same path twice with two labels', () => {
    write('d2/a.mp4');
    const list = write('d2/list.txt', 'a.mp4 walk\n./a.mp4 run\n');
    expect(thrown(() => readVideoList(list)).message).toBe(
      'video list: expected unique video ids, got "a" on list.txt:1 and on list.txt:2',
    );
  });

  it('Charades: the same id twice', () => {
    write('d3/classes.txt', 'c000 A\nc001 B\n');
    write('d3/V1.mp4');
    const header =
      'id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length\n';
    const csv = write(
      'd3/train.csv',
      `${header}V1,S,s,1,1,Yes,x,o,d,c000 0 1,2\nV1,S,s,1,1,Yes,x,o,d,c001 0 1,2\n`,
    );
    expect(thrown(() => readCharadesCsv(csv)).message).toMatch(
      /unique video ids, got "V1" on train\.csv:2 and on train\.csv:3/,
    );
  });
});

describe('paths from elsewhere', () => {
  it('absolute paths in another folder and relative paths (against the list folder) are read; ids stay unique', () => {
    write('data/a/clip.mp4');
    write('data/b/clip.mp4');
    write('lists/local/clip.mp4');
    const list = write(
      'lists/all.txt',
      `${join(dir, 'data/a/clip.mp4')} walk\n${join(dir, 'data/b/clip.mp4')} run\nlocal/clip.mp4 run\n`,
    );
    const m = readVideoList(list);
    expect(m.items.map((item) => [item.id, item.path])).toEqual([
      [join(dir, 'data/a/clip'), join(dir, 'data/a/clip.mp4')],
      [join(dir, 'data/b/clip'), join(dir, 'data/b/clip.mp4')],
      ['local/clip', join(dir, 'lists/local/clip.mp4')],
    ]);
    // --root: ids relative to it, and every path confined to it
    const rooted = readVideoList(list, { root: dir });
    expect(rooted.items.map((item) => item.id)).toEqual([
      'data/a/clip',
      'data/b/clip',
      'lists/local/clip',
    ]);
    expect(thrown(() => readVideoList(list, { root: join(dir, 'data') })).message).toMatch(
      /expected a path inside the root .*data \(--root\), got "local\/clip\.mp4" \(all\.txt:3\)/,
    );
  });

  it('--root refuses a symlink inside it that leads out', () => {
    write('outside/secret.mp4');
    mkdirSync(join(dir, 'r1'), { recursive: true });
    symlinkSync(join(dir, 'outside/secret.mp4'), join(dir, 'r1/link.mp4'));
    const list = write('r1/list.txt', 'link.mp4\n');
    expect(readVideoList(list).items).toHaveLength(1);
    expect(thrown(() => readVideoList(list, { root: join(dir, 'r1') })).message).toMatch(
      /inside the root .*got "link\.mp4" \(a link to .*outside\/secret\.mp4\) \(list\.txt:1\)/,
    );
  });
});
