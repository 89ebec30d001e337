import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/index.ts';
import { readCharadesCsv } from '../../datasets/manifests/charades.ts';
import { readFolderDataset } from '../../datasets/manifests/folder.ts';
import { readKineticsCsv } from '../../datasets/manifests/kinetics.ts';
import { readVideoList } from '../../datasets/manifests/list.ts';
import { readManifest } from '../../datasets/manifests/read.ts';
import { fileWriter } from './fixtures/scratchFiles.ts';
import { thrown } from '../fixtures/thrown.ts';

let dir: string;
const write = fileWriter(() => dir);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anet-manifest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kinetics csv', () => {
  it('reads rows, finds files in root / split / label layouts, sorts classes (of every row, found or not)', () => {
    write('k1/a1_000010_000020.mp4');
    write('k1/train/b2_000000_000010.mp4');
    write('k1/val/riding bike/c3_000005_000015.mp4');
    write('k1/playing_drums/d4_000001_000011.mp4');
    const csv = write(
      'k1/train.csv',
      'label,youtube_id,time_start,time_end,split\n' +
        'riding bike,a1,10,20,train\n' +
        'playing drums,b2,0,10,train\n' +
        'riding bike,c3,5,15,validate\n' +
        'playing drums,d4,1,11,train\n' +
        'abseiling,gone,0,10,train\n',
    );
    const m = readKineticsCsv(csv, { missing: 'skip' });
    expect(m.classes).toEqual(['abseiling', 'playing drums', 'riding bike']);
    expect(m.multiLabel).toBe(false);
    expect(m.items.map((i) => [i.id, i.labels, i.split, i.duration])).toEqual([
      ['a1_000010_000020', [2], 'train', 10],
      ['b2_000000_000010', [1], 'train', 10],
      ['c3_000005_000015', [2], 'val', 10],
      ['d4_000001_000011', [1], 'train', 10],
    ]);
    expect(m.items[2].path).toBe(join(dir, 'k1/val/riding bike/c3_000005_000015.mp4'));
    expect(m.items[3].path).toBe(join(dir, 'k1/playing_drums/d4_000001_000011.mp4'));
    expect(m.missing).toEqual([
      `gone_000000_000010 (train.csv:6: no gone_000000_000010.mp4 (or .mkv/.webm/.avi/.mov) under ${join(dir, 'k1')} or its label/split folders)`,
    ]);
  });

  it('uses labels.txt beside the CSV for the class order', () => {
    write('k2/labels.txt', 'zebra\napple\n');
    write('k2/x_000000_000001.mp4');
    const csv = write(
      'k2/all.csv',
      'label,youtube_id,time_start,time_end,split\napple,x,0,1,test\n',
    );
    const m = readKineticsCsv(csv);
    expect(m.classes).toEqual(['zebra', 'apple']);
    expect(m.items[0].labels).toEqual([1]);
    expect(m.notes.join(' ')).toContain('labels.txt');
  });

  it('names file and line of a short row', () => {
    const lines = ['label,youtube_id,time_start,time_end,split'];
    for (let i = 0; i < 15; i++) lines.push(`a,id${i},0,1,train`);
    lines.push('a,short,0');
    const csv = write('k3/train.csv', lines.join('\n') + '\n');
    const error = thrown(() => readKineticsCsv(csv));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'kinetics csv: expected 5 columns label,youtube_id,time_start,time_end,split, got 3 (train.csv:17)',
    );
  });

  it('refuses youtube ids that escape the root', () => {
    const csv = write(
      'k4/train.csv',
      'label,youtube_id,time_start,time_end,split\na,../../etc/passwd,0,1,train\n',
    );
    expect(thrown(() => readKineticsCsv(csv)).message).toMatch(
      /inside the dataset root.*\(train\.csv:2\)/,
    );
  });

  it('with --root, refuses a file that is a symlink leaving the root (without, follows it)', () => {
    write('outside/secret_000000_000001.mp4');
    mkdirSync(join(dir, 'k5'), { recursive: true });
    symlinkSync(
      join(dir, 'outside/secret_000000_000001.mp4'),
      join(dir, 'k5/secret_000000_000001.mp4'),
    );
    const csv = write(
      'k5/t.csv',
      'label,youtube_id,time_start,time_end,split\na,secret,0,1,train\n',
    );
    expect(thrown(() => readKineticsCsv(csv, { root: join(dir, 'k5') })).message).toMatch(
      /inside the root .*\(--root\).*a link to .*outside/,
    );
    expect(readKineticsCsv(csv).items.map((item) => item.id)).toEqual(['secret_000000_000001']);
  });
});

describe('charades csv', () => {
  const header =
    'id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length\n';

  it('reads quoted commas and newlines, actions and classes beside the CSV', () => {
    write(
      'c1/Charades_v1_classes.txt',
      'c000 Holding some clothes\nc001 Putting clothes somewhere\nc002 Opening a door\n',
    );
    write('c1/AB12C.mp4');
    write('c1/XY34Z.mp4');
    const csv = write(
      'c1/Charades_v1_train.csv',
      header +
        'AB12C,S1,Kitchen,6,7,Yes,"A person walks in, opens a door,\nand leaves.",door;clothes,"They open, then close",c002 1.50 4.00;c000 0.00 2.25,10.5\n' +
        'XY34Z,S2,"Living room, big",5,7,Yes,script,,desc,,8\n',
    );
    const m = readCharadesCsv(csv);
    expect(m.classes).toEqual([
      'Holding some clothes',
      'Putting clothes somewhere',
      'Opening a door',
    ]);
    expect(m.classCodes).toEqual(['c000', 'c001', 'c002']);
    expect(m.multiLabel).toBe(true);
    expect(m.items).toHaveLength(2);
    expect(m.items[0]).toMatchObject({
      id: 'AB12C',
      labels: [0, 2],
      split: 'train',
      duration: 10.5,
      segments: [
        { label: 2, start: 1.5, end: 4 },
        { label: 0, start: 0, end: 2.25 },
      ],
      source: 'Charades_v1_train.csv:2',
    });
    // the first row spans lines 2-3: the next row starts on line 4
    expect(m.items[1]).toMatchObject({
      id: 'XY34Z',
      labels: [],
      segments: [],
      source: 'Charades_v1_train.csv:4',
    });
  });

  it('names file:line of a bad action and of an unknown code', () => {
    write('c2/classes.txt', 'c000 A\n');
    const bad = write('c2/test.csv', header + 'A,S,s,1,1,Yes,"x,\ny",o,d,c000 1.0,5\n');
    expect(thrown(() => readCharadesCsv(bad)).message).toBe(
      'charades csv: expected actions as "cNNN start end;...", got "c000 1.0" (test.csv:2)',
    );
    const unknown = write(
      'c2/test2.csv',
      header + 'A,S,s,1,1,Yes,x,o,d,c000 0 1,5\nB,S,s,1,1,Yes,x,o,d,c157 0 1,5\n',
    );
    expect(thrown(() => readCharadesCsv(unknown)).message).toMatch(/got "c157" \(test2\.csv:3\)/);
  });

  it('asks for a classes file when none is beside the CSV, and takes --classes', () => {
    write('c3/V1.mp4');
    const csv = write('c3/data.csv', header + 'V1,S,s,1,1,Yes,x,o,d,c001 0 1,2\n');
    expect(thrown(() => readCharadesCsv(csv)).message).toMatch(/expected a classes file/);
    const classes = write('elsewhere/cls.txt', 'c000 A\nc001 B\n');
    const m = readCharadesCsv(csv, { classes, split: 'validation' });
    expect(m.items[0]).toMatchObject({ labels: [1], split: 'val' });
  });

  it('reads the other splits beside a split CSV (train + test), unless a split is stated', () => {
    write('c5/Charades_v1_classes.txt', 'c000 A\nc001 B\n');
    for (const id of ['T1', 'T2', 'E1']) write(`c5/${id}.mp4`);
    const train = write(
      'c5/Charades_v1_train.csv',
      header + 'T1,S,s,1,1,Yes,x,o,d,c000 0 1,2\nT2,S,s,1,1,Yes,x,o,d,c001 0 1,2\n',
    );
    write('c5/Charades_v1_test.csv', header + 'E1,S,s,1,1,Yes,x,o,d,c000 0 1;c001 1 2,2\n');
    const { manifest } = readManifest(train);
    expect(manifest.items.map((item) => [item.id, item.split])).toEqual([
      ['T1', 'train'],
      ['T2', 'train'],
      ['E1', 'test'],
    ]);
    expect(manifest.items[2]!.labels).toEqual([0, 1]);
    expect(manifest.notes).toContain('also read Charades_v1_test.csv (1 videos, split "test")');
    // the test file leads to the train file just as well
    expect(
      readManifest(join(dir, 'c5/Charades_v1_test.csv')).manifest.items.map((item) => item.id),
    ).toEqual(['E1', 'T1', 'T2']);
    expect(readManifest(train, { split: 'train' }).manifest.items).toHaveLength(2);
  });

  it('refuses ids that escape the root', () => {
    write('c4/classes.txt', 'c000 A\n');
    const csv = write('c4/train.csv', header + '../../x,S,s,1,1,Yes,x,o,d,,2\n');
    expect(thrown(() => readCharadesCsv(csv)).message).toMatch(
      /inside the dataset root.*\(train\.csv:2\)/,
    );
  });
});

describe('folder per class', () => {
  it('reads class folders, skips other files, sorts classes', () => {
    write('f1/walk/v1.mp4');
    write('f1/walk/v2.avi');
    write('f1/walk/notes.txt');
    write('f1/walk/.v3.partial.mp4');
    write('f1/jump/v1.webm');
    const m = readFolderDataset(join(dir, 'f1'));
    expect(m.classes).toEqual(['jump', 'walk']);
    expect(m.items.map((i) => [i.id, i.labels[0], i.split])).toEqual([
      ['jump/v1', 0, 'all'],
      ['walk/v1', 1, 'all'],
      ['walk/v2', 1, 'all'],
    ]);
  });

  it('reads a split/class layout', () => {
    write('f2/train/a/1.mp4');
    write('f2/validation/b/2.mkv');
    const m = readFolderDataset(join(dir, 'f2'));
    expect(m.items.map((i) => [i.id, i.split, m.classes[i.labels[0]]])).toEqual([
      ['train/a/1', 'train', 'a'],
      ['validation/b/2', 'val', 'b'],
    ]);
  });

  it('with --root, refuses a symlink leaving the root (without, follows it)', () => {
    write('f3/a/ok.mp4');
    mkdirSync(join(dir, 'f3/b'), { recursive: true });
    symlinkSync(join(dir, 'outside/secret_000000_000001.mp4'), join(dir, 'f3/b/leak.mp4'));
    expect(
      thrown(() => readFolderDataset(join(dir, 'f3'), { root: join(dir, 'f3') })).message,
    ).toMatch(/inside the root.*a link/);
    expect(readFolderDataset(join(dir, 'f3')).items.map((item) => item.id)).toEqual([
      'a/ok',
      'b/leak',
    ]);
  });
});

describe('plain list', () => {
  it('reads path label, names and indices, multi-label, and path-only lines', () => {
    write('l1/clips/a.mp4');
    write('l1/clips/b c.mp4');
    write('l1/clips/d.mp4');
    const list = write(
      'l1/list.txt',
      '# comment\nclips/a.mp4 run\nclips/b c.mp4\nclips/d.mp4 run,swim\n',
    );
    const m = readVideoList(list);
    expect(m.classes).toEqual(['run', 'swim']);
    expect(m.multiLabel).toBe(true);
    expect(m.items.map((i) => [i.id, i.labels])).toEqual([
      ['clips/a', [0]],
      ['clips/b c', []],
      ['clips/d', [0, 1]],
    ]);
    const classes = write('l1/classes.txt', 'swim\nrun\n');
    const indexed = write('l1/indexed.txt', 'clips/a.mp4 1\nclips/d.mp4 swim\n');
    expect(readVideoList(indexed, { classes }).items.map((i) => i.labels)).toEqual([[1], [0]]);
  });

  it('names file:line of an out-of-range label; with --root, refuses paths outside it', () => {
    const classes = write('l2/classes.txt', 'a\nb\n');
    write('l2/x.mp4');
    const bad = write('l2/bad.txt', 'x.mp4 a\nx.mp4 7\n');
    expect(thrown(() => readVideoList(bad, { classes })).message).toBe(
      'video list: expected a class name or index < 2, got "7" (bad.txt:2)',
    );
    const escapeList = write('l2/escape.txt', '/etc/passwd\n');
    expect(thrown(() => readVideoList(escapeList, { root: join(dir, 'l2') })).message).toMatch(
      /inside the root.*"\/etc\/passwd" \(escape\.txt:1\)/,
    );
  });
});

describe("missing: 'unchecked' (scoring: ids and labels, no video lookups)", () => {
  it('keeps every row at its expected path and lists nothing, where keep lists and error throws', () => {
    const csv = write(
      'u1/val.csv',
      'label,youtube_id,time_start,time_end,split\nswim,p1,0,10,val\nrun,p2,5,15,val\n',
    );
    const m = readKineticsCsv(csv, { missing: 'unchecked' });
    expect(m.items.map((i) => [i.id, i.labels, i.path])).toEqual([
      ['p1_000000_000010', [1], join(dir, 'u1', 'p1_000000_000010.mp4')],
      ['p2_000005_000015', [0], join(dir, 'u1', 'p2_000005_000015.mp4')],
    ]);
    expect(m.missing).toEqual([]);
    expect(readKineticsCsv(csv, { missing: 'keep' }).missing).toHaveLength(2);
    expect(() => readKineticsCsv(csv, { missing: 'error' })).toThrow(InputError);

    write('u2/Charades_v1_classes.txt', 'c000 Sitting\nc001 Standing\n');
    const charades = write(
      'u2/Charades_v1_test.csv',
      'id,subject,scene,quality,relevance,verified,script,objects,descriptions,actions,length\n' +
        'QQ11A,S1,Hall,6,7,Yes,s,,d,c001 0.0 2.0,5\n',
    );
    const c = readCharadesCsv(charades, { missing: 'unchecked' });
    expect(c.items.map((i) => [i.id, i.labels, i.path])).toEqual([
      ['QQ11A', [1], join(dir, 'u2', 'QQ11A.mp4')],
    ]);
    expect(c.missing).toEqual([]);

    const list = write('u3/list.txt', 'nowhere/a.mp4 left\nnowhere/b.mp4 right\n');
    const l = readVideoList(list, { missing: 'unchecked' });
    expect(l.items.map((i) => [i.path, i.labels])).toEqual([
      [join(dir, 'u3', 'nowhere/a.mp4'), [0]],
      [join(dir, 'u3', 'nowhere/b.mp4'), [1]],
    ]);
    expect(l.missing).toEqual([]);
  });
});

describe('readManifest', () => {
  it('picks the reader by kind and header, and says which', () => {
    expect(readManifest(join(dir, 'k1/train.csv'), { missing: 'skip' }).reader).toBe('kinetics');
    expect(readManifest(join(dir, 'c1/Charades_v1_train.csv'))).toMatchObject({
      reader: 'charades',
    });
    expect(readManifest(join(dir, 'f1')).reader).toBe('folder');
    const picked = readManifest(join(dir, 'l1/list.txt'));
    expect(picked.reader).toBe('list');
    expect(picked.reason).toMatch(/list/);
    const other = write('other.csv', 'a,b,c\n1,2,3\n');
    expect(thrown(() => readManifest(other)).message).toMatch(
      /expected a Kinetics .* or Charades .* header, got "a,b,c"/,
    );
  });
});
