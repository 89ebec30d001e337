/**
 * The prebuilt light CLI (dist/cli-light.mjs): the launcher runs it without tsx for top-level
 * help/version and `score`, and the output and exit code are those of the tsx path; a stale or
 * missing build falls back to tsx; heavy commands always go through tsx.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../pipelines/crash.ts';
import { assemblenet, loadedTfjs, loadedTs, loadedTsx, ROOT, type Run } from './run.ts';

interface Prebuilt {
  PREBUILT_DIR: string;
  LIGHT_BUNDLE: string;
  LIGHT_INPUTS: string;
  isFresh(dir?: string): boolean;
}
// bin/prebuilt.mjs is plain JavaScript (the launcher loads it before tsx); typed here by hand
const prebuilt: Prebuilt = await import(pathToFileURL(join(ROOT, 'bin/prebuilt.mjs')).href);
const bundle = join(prebuilt.PREBUILT_DIR, prebuilt.LIGHT_BUNDLE);

const dir = mkdtempSync(join(tmpdir(), 'anet-prebuilt-'));

function build(): Promise<{ status: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'pipelines/scripts/build-light-cli.mjs'), '--strict'],
      { cwd: ROOT },
    );
    let output = '';
    child.stdout.on('data', (text) => {
      output += text;
    });
    child.stderr.on('data', (text) => {
      output += text;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, output }));
  });
}

beforeAll(async () => {
  // what `npm ci` does (the prepare script); rebuilding gives the same file
  const { status, output } = await build();
  expect(status, output).toBe(0);
  writeFileSync(
    join(dir, 'test.csv'),
    [
      'label,youtube_id,time_start,time_end,split',
      'left,a,0,10,test',
      'left,b,0,10,test',
      'right,c,0,10,test',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'pred.txt'),
    'a_000000_000010 0.9 0.1\nb_000000_000010 0.3 0.7\nc_000000_000010 0.2 0.8\n',
  );
  writeFileSync(join(dir, 'twice.txt'), 'a_000000_000010 0.9 0.1\na_000000_000010 0.9 0.1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function same(fast: Run, slow: Run): void {
  expect(fast.stdout).toBe(slow.stdout);
  expect(fast.stderr).toBe(slow.stderr);
  expect(fast.status).toBe(slow.status);
}

describe('the build', () => {
  it('records its inputs: the score command and the metrics, nothing of tfjs or the engine', () => {
    const { inputs } = JSON.parse(
      readFileSync(join(prebuilt.PREBUILT_DIR, prebuilt.LIGHT_INPUTS), 'utf8'),
    ) as { inputs: string[] };
    expect(inputs).toContain('pipelines/commands/score.ts');
    expect(inputs).toContain('pipelines/cli.ts');
    expect(inputs).toContain('package.json');
    expect(inputs.filter((file) => /@tensorflow|src\/engine\//.test(file))).toEqual([]);
    expect(prebuilt.isFresh()).toBe(true);
  });
});

describe('fast path and tsx path give the same result', () => {
  // name, arguments, exit code, what stderr holds
  const cases: [string, string[], number, RegExp][] = [
    ['--help', ['--help'], EXIT_CODES.ok, /^$/],
    ['--version', ['--version'], EXIT_CODES.ok, /^$/],
    ['score --help', ['score', '--help'], EXIT_CODES.ok, /^$/],
    ['help score', ['help', 'score'], EXIT_CODES.ok, /^$/],
    ['an unknown command', ['scroe'], EXIT_CODES.input, /^error: unknown command 'scroe'\n/],
    ['score', ['score', '--pred', 'pred.txt', '--gt', 'test.csv', '--json'], EXIT_CODES.ok, /^$/],
    [
      'score with bad input',
      ['score', '--pred', 'twice.txt', '--gt', 'test.csv'],
      EXIT_CODES.input,
      /^assemblenet: score: video a_000000_000010 is predicted twice \(twice\.txt:2\)\n$/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, exitCode, stderr) => {
    const [fast, slow] = await Promise.all([
      assemblenet(args, { cwd: dir }),
      assemblenet(args, { cwd: dir, prebuilt: false }),
    ]);
    same(fast, slow);
    expect(fast.status, fast.stderr).toBe(exitCode);
    expect(fast.stderr).toMatch(stderr);
    // the fast path ran the bundle: no tsx, no TypeScript source; neither path loaded tfjs
    expect(fast.loads).toContain(`import ${pathToFileURL(bundle).href}`);
    expect(loadedTsx(fast)).toBe(false);
    expect(loadedTs(fast)).toEqual([]);
    expect(loadedTs(slow)).toContain(`import file://${ROOT}/pipelines/cli.ts`);
    expect(loadedTfjs(fast)).toEqual([]);
    expect(loadedTfjs(slow)).toEqual([]);
  });

  it('score prints the metrics (2 of 3 right) and its JSON line', async () => {
    const run = await assemblenet(['score', '--pred', 'pred.txt', '--gt', 'test.csv', '--json'], {
      cwd: dir,
    });
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { top1: number };
    expect(summary.top1).toBeCloseTo(2 / 3, 12);
    expect(run.stderr).toBe('');
  });
});

describe('everything else goes through tsx', () => {
  it('a heavy command: help eval loads its module through tsx and prints its options', async () => {
    const run = await assemblenet(['help', 'eval']);
    expect(run.status, run.stderr).toBe(EXIT_CODES.ok);
    expect(run.stdout).toContain('Usage: assemblenet eval');
    expect(loadedTs(run)).toContain(`import file://${ROOT}/pipelines/commands/eval.ts`);
  });

  it('a stale build (older than a source) is not run: same output through tsx', async () => {
    const { mtime } = statSync(bundle);
    const past = new Date(Date.now() - 10 * 365 * 24 * 3600 * 1000);
    utimesSync(bundle, past, past);
    try {
      expect(prebuilt.isFresh()).toBe(false);
      const run = await assemblenet(['score', '--help']);
      expect(run.status, run.stderr).toBe(EXIT_CODES.ok);
      expect(run.stdout).toContain('Usage: assemblenet score');
      expect(loadedTs(run)).toContain(`import file://${ROOT}/pipelines/commands/score.ts`);
      expect(run.loads).not.toContain(`import ${pathToFileURL(bundle).href}`);
    } finally {
      utimesSync(bundle, mtime, mtime);
    }
  });
});

describe('isFresh', () => {
  it('needs the bundle, its input list, and every input no newer than the bundle', () => {
    const out = mkdtempSync(join(dir, 'dist-'));
    const source = join(dir, 'source.ts');
    const write = (inputs: string[]) =>
      writeFileSync(join(out, prebuilt.LIGHT_INPUTS), JSON.stringify({ inputs }));
    writeFileSync(source, 'export {};\n');
    expect(prebuilt.isFresh(out)).toBe(false); // nothing built
    writeFileSync(join(out, prebuilt.LIGHT_BUNDLE), '// bundle\n');
    expect(prebuilt.isFresh(out)).toBe(false); // no input list
    write([]);
    expect(prebuilt.isFresh(out)).toBe(false); // an empty list proves nothing
    write([source]);
    const now = Date.now() / 1000;
    utimesSync(source, now - 60, now - 60);
    utimesSync(join(out, prebuilt.LIGHT_BUNDLE), now - 30, now - 30);
    expect(prebuilt.isFresh(out)).toBe(true);
    utimesSync(source, now, now); // the source edited after the build
    expect(prebuilt.isFresh(out)).toBe(false);
    utimesSync(source, now - 60, now - 60);
    write([source, join(dir, 'deleted.ts')]);
    expect(prebuilt.isFresh(out)).toBe(false); // an input that is gone
  });
});
