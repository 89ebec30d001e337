/**
 * Shared pieces of the experiment scripts: every run is an ordinary CLI job in its own folder
 * (so it resumes), a finished run is recognised by its result file and skipped on a rerun, and
 * the raw numbers go to one JSON file under docs/results/ that is rewritten after every run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../../src/util/atomicFile.ts';
import { mean, sampleSd as sd } from '../../src/util/stats.ts';

export { mean, sd, writeJsonAtomic };

export const PROJECT = join(import.meta.dirname, '..', '..');
const CLI = join(PROJECT, 'bin', 'assemblenet.mjs');

/** The commit the working tree is at (runs record it: the engine may change between runs). */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: PROJECT })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

export function parseList(value: string, what: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new Error(`${what}: expected a comma-separated list, got "${value}"`);
  return items;
}

export function parseSeeds(value: string): number[] {
  return parseList(value, '--seeds').map((s) => {
    const seed = Number(s);
    if (!Number.isInteger(seed)) throw new Error(`--seeds: expected integers, got "${s}"`);
    return seed;
  });
}

/** Runs `assemblenet ARGS`, its output appended to `log` as it comes; resolves with its stdout. */
export function runCli(args: string[], log: string): Promise<string> {
  mkdirSync(dirname(log), { recursive: true });
  const logFd = openSync(log, 'a');
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', logFd],
    });
    const stdout: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => {
      stdout.push(c);
      writeSync(logFd, c);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString());
      else reject(new Error(`assemblenet ${args[0]} exited with ${code}; see ${log}`));
    });
  }).finally(() => closeSync(logFd));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function readJsonIfExists<T>(path: string): T | undefined {
  return existsSync(path) ? readJson<T>(path) : undefined;
}

/** "57.5 ± 2.5" in percent. */
export function pct(xs: number[]): string {
  if (xs.length === 0) return '-';
  return `${(100 * mean(xs)).toFixed(1)} ± ${(100 * sd(xs)).toFixed(1)}`;
}

export function perSeed(xs: number[]): string {
  return xs.map((x) => (100 * x).toFixed(1)).join(', ');
}

/** The JSON object a command printed on its last line (`--json`). */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
}
