/**
 * The CLI's error ends: one line on stderr (class, message, where the stack went), a documented
 * exit code; manifests with reported rows fail unless --allow-missing; numeric flags are bounded.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, reportCrash } from '../../pipelines/crash.ts';
import { EngineError, InputError, ToolError, VideoError } from '../../src/errors.ts';
import { runFfmpeg } from '../../src/video/ffmpegAdapter.ts';
import { runProcess } from '../fixtures/runProcess.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'anet-cli-errors-'));
const crashDir = join(dir, 'crashes');

function cli(args: string[]) {
  return runProcess(process.execPath, [join(ROOT, 'bin/assemblenet.mjs'), ...args], {
    cwd: dir,
    timeout: 120_000,
    env: { ...process.env, ASSEMBLENET_CRASH_DIR: crashDir },
  });
}

function stackFile(line: string): string {
  const match = /(\/\S+assemblenet-crash-\S+\.log)/.exec(line);
  expect(match, line).not.toBeNull();
  return match![1]!;
}

beforeAll(async () => {
  mkdirSync(crashDir);
  await runFfmpeg([
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=32x24:rate=10:duration=0.4',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'a.mp4'),
  ]);
  await runFfmpeg(['-y', '-i', join(dir, 'a.mp4'), '-frames:v', '1', join(dir, 'a.png')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reportCrash', () => {
  it('maps each error kind to its exit code; only unexpected errors write a stack file', () => {
    process.env.ASSEMBLENET_CRASH_DIR = crashDir;
    const lines: string[] = [];
    const stderr = { write: (text: string) => lines.push(text) };
    expect(reportCrash(new InputError('flag: expected x, got y'), [], stderr)).toBe(
      EXIT_CODES.input,
    );
    expect(reportCrash(new VideoError('probe: bad'), [], stderr)).toBe(EXIT_CODES.input);
    expect(reportCrash(new ToolError('ffmpeg: not found'), [], stderr)).toBe(EXIT_CODES.tool);
    expect(reportCrash(new EngineError('engine: heap'), [], stderr)).toBe(EXIT_CODES.engine);
    expect(lines).toEqual([
      'assemblenet: flag: expected x, got y\n',
      'assemblenet: probe: bad\n',
      'assemblenet: ffmpeg: not found\n',
      'assemblenet: engine: heap\n',
    ]);
    lines.length = 0;
    const bug = new TypeError("Cannot read properties of undefined (reading 'shape')");
    expect(reportCrash(bug, ['node', 'assemblenet', 'train'], stderr)).toBe(EXIT_CODES.internal);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^assemblenet: internal error TypeError: Cannot read properties of undefined \(reading 'shape'\) \(full stack: \S+; please report it\)\n$/,
    );
    const report = readFileSync(stackFile(lines[0]!), 'utf8');
    expect(report).toContain('argv: ["node","assemblenet","train"]');
    expect(report).toContain(bug.stack!.split('\n')[1]!.trim());
    delete process.env.ASSEMBLENET_CRASH_DIR;
  });
});

describe('the CLI', () => {
  it('a system error (output folder missing): one line, exit 5, the stack in a file, no source printed', async () => {
    const result = await cli([
      'flow',
      'a.png',
      'a.png',
      '--out',
      join(dir, 'no-such-folder/x.flo'),
    ]);
    expect(result.status).toBe(EXIT_CODES.system);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^assemblenet: system error ENOENT: no such file or directory/);
    expect(result.stderr).not.toMatch(/\n\s+at |node:internal/);
    expect(readFileSync(stackFile(lines[0]!), 'utf8')).toContain('writeFlo');
  });

  it('extract: a list row without its video fails the job naming file:line; --allow-missing skips and lists it', async () => {
    writeFileSync(join(dir, 'list.txt'), 'a.mp4 walk\nnope.mp4 run\n');
    const args = [
      'extract',
      '--dataset',
      'list.txt',
      '--flow',
      'none',
      '--frames',
      '2',
      '--size',
      '16',
      '--train-clips',
      '0',
      '--workers',
      '1',
      '--cache-dir',
      join(dir, 'cache'),
    ];
    const failed = await cli(args);
    expect(failed.status).toBe(EXIT_CODES.input);
    expect(failed.stderr).toContain('nope.mp4 (list.txt:2: no such file)');
    expect(failed.stderr).toContain('--allow-missing');
    const allowed = await cli([...args, '--allow-missing']);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/1 ok, 0 cached, 0 failed, 1 manifest row\(s\) skipped/);
    expect(allowed.stdout).toContain('  nope.mp4 (list.txt:2: no such file)');
  });

  it('numeric flags have upper bounds, stated in the error (exit 2)', async () => {
    const result = await cli(['extract', '--dataset', 'list.txt', '--frames', '100000']);
    expect(result.status).toBe(EXIT_CODES.input);
    expect(result.stderr).toContain('--frames: expected a positive integer <= 512, got "100000"');
    expect(existsSync(join(dir, 'cache'))).toBe(true); // from the run above, untouched here
  });

  it('doctor lists every ffmpeg/ffprobe candidate with its version and build year, and which one runs', async () => {
    const result = await cli(['doctor', '--json', '--backend', 'cpu']);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      ffmpeg: string;
      ffmpegCandidates: {
        source: string;
        path: string | null;
        version: string | null;
        built: number | null;
        chosen: boolean;
      }[];
    };
    const bundled = summary.ffmpegCandidates.find((c) => c.source === '@ffmpeg-installer/ffmpeg');
    expect(bundled).toMatchObject({ built: 2018 });
    expect(bundled!.version).toMatch(/^4\.x \(git N-/);
    const chosen = summary.ffmpegCandidates.filter((c) => c.chosen);
    expect(chosen).toHaveLength(1);
    expect(chosen[0]!.path).toBe(summary.ffmpeg);
    expect(result.stdout).toMatch(/\* \S.*: \S+ \(built \d{4}\) \//);
  });
});
