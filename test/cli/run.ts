/**
 * Runs Node in a child process (asynchronously: a synchronous child would block the vitest
 * worker) with test/cli/fixtures/recordLoads.mjs preloaded, and returns its output, exit code and
 * every module it resolved.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const LAUNCHER = join(ROOT, 'bin/assemblenet.mjs');
const RECORDER = join(import.meta.dirname, 'fixtures/recordLoads.mjs');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every module resolved: `import URL` or `require PATH`, in order. */
  loads: string[];
}

export function runNode(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; nodeFlags?: string[] } = {},
): Promise<Run> {
  const scratch = mkdtempSync(join(tmpdir(), 'anet-cli-loads-'));
  const record = join(scratch, 'loads.txt');
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeFlags ?? []), '--import', RECORDER, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { ...process.env, ...options.env, RECORD_LOADS: record },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', fail);
    child.on('close', (status) => {
      const loads = existsSync(record) ? readFileSync(record, 'utf8').split('\n') : [];
      rmSync(scratch, { recursive: true, force: true });
      done({ status, stdout, stderr, loads: loads.filter(Boolean) });
    });
  });
}

/** The launcher as users run it (`assemblenet ARGS`); `prebuilt: false` forces the tsx path. */
export function assemblenet(
  args: string[],
  options: { prebuilt?: boolean; cwd?: string } = {},
): Promise<Run> {
  return runNode([LAUNCHER, ...args], {
    cwd: options.cwd,
    env: options.prebuilt === false ? { ASSEMBLENET_PREBUILT: '0' } : {},
  });
}

export const loadedTfjs = (run: Run) => run.loads.filter((line) => line.includes('@tensorflow'));
/** The project's TypeScript sources the run loaded (through tsx). */
export const loadedTs = (run: Run) =>
  run.loads.filter((line) => line.startsWith(`import file://${ROOT}/`) && line.endsWith('.ts'));
export const loadedTsx = (run: Run) =>
  run.loads.some((line) => line.includes('/node_modules/tsx/'));
