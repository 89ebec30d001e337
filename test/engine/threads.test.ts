/**
 * Two-thread wasm in Node (src/engine/threads.ts): the thread count setting, and a fresh process
 * that starts wasm with 2 threads, gets 2, computes a conv2d and its gradients equal to the cpu
 * backend's, and exits on its own (the pthread workers must not keep it alive).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/errors.ts';
import { NATIVE_ADDON_PATH, NATIVE_ENV } from '../../src/engine/native/addon.ts';
import {
  THREADS_ENV,
  defaultThreads,
  insideProcessPool,
  parseThreads,
} from '../../src/engine/threads.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A child process, awaited without blocking vitest's event loop (these runs take a while). */
function run(
  args: string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs: number },
): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr, timedOut });
    });
    child.stdin.end(options.input ?? '');
  });
}
const backend = resolve(import.meta.dirname, '../../src/engine/backend.ts');
const tfModule = resolve(import.meta.dirname, '../../src/engine/tf.ts');

describe('wasm thread count', () => {
  it('parses 1..64 and refuses anything else, naming the setting', () => {
    expect(parseThreads('2')).toBe(2);
    expect(parseThreads(undefined)).toBeUndefined();
    expect(parseThreads(' ')).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'two', '65']) {
      expect(() => parseThreads(bad)).toThrow(EngineError);
      expect(() => parseThreads(bad)).toThrow(new RegExp(`${THREADS_ENV}.*"${bad}"`));
    }
  });

  it('defaults to 1 inside a process pool (this test runs in one)', () => {
    expect(insideProcessPool()).toBe(true);
    expect(defaultThreads()).toBe(1);
  });

  const twoThreadRun = async (native: 'on' | 'off') => {
    const script = `
      const { selectBackend } = await import(${JSON.stringify(backend)});
      const { tf } = await import(${JSON.stringify(tfModule)});
      const run = () => tf.tidy(() => {
        const x = tf.randomUniform([4, 24, 24, 8], -1, 1, 'float32', 1);
        const f = tf.randomUniform([3, 3, 8, 16], -1, 1, 'float32', 2);
        const loss = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same', 'NHWC', [2, 2])));
        const [dx, df] = tf.grads(loss)([x, f]);
        return [loss(x, f), dx, df].map((t) => Array.from(t.dataSync()));
      });
      await selectBackend('cpu');
      const reference = run();
      const report = await selectBackend('wasm');
      const got = run();
      let worst = 0;
      // error relative to each tensor's scale (a filter-gradient entry can be a small sum of
      // large terms of both signs, where float32 rounding alone is 1e-4 of the entry)
      got.forEach((values, i) => {
        const scale = Math.max(1, ...reference[i].map(Math.abs));
        values.forEach((v, j) => {
          worst = Math.max(worst, Math.abs(v - reference[i][j]) / scale);
        });
      });
      console.log(JSON.stringify({ threads: report.threads, wasmThreads: report.wasmThreads, nativeConv: report.nativeConv, worst }));
    `;
    const child = await run(['--import', 'tsx', '--input-type=module'], {
      input: script,
      env: { [THREADS_ENV]: '2', [NATIVE_ENV]: native },
      timeoutMs: 120_000,
    });
    expect(child.timedOut, 'the process did not exit by itself').toBe(false);
    expect(child.status, child.stderr).toBe(0);
    return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
      threads: number;
      wasmThreads: number;
      nativeConv: string;
      worst: number;
    };
  };

  it('a fresh process runs wasm on 2 threads (native kernels off), matches the cpu backend and exits', async () => {
    const result = await twoThreadRun('off');
    expect(result.threads).toBe(2);
    expect(result.wasmThreads).toBe(2);
    expect(result.nativeConv).toMatch(/ASSEMBLENET_NATIVE=off/);
    expect(result.worst).toBeLessThan(1e-4);
  }, 150_000);

  it.skipIf(!existsSync(NATIVE_ADDON_PATH))(
    'with the native kernels the 2 threads go to them, wasm runs 1; matches cpu and exits',
    async () => {
      const result = await twoThreadRun('on');
      expect(result.threads).toBe(2);
      expect(result.wasmThreads).toBe(1);
      expect(result.nativeConv).toBe('oneDNN, 2 threads');
      expect(result.worst).toBeLessThan(1e-4);
    },
    150_000,
  );

  it('assemblenet train refuses a bad --threads or ASSEMBLENET_THREADS, naming it', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      run([resolve(ROOT, 'bin/assemblenet.mjs'), 'train', ...args], { env, timeoutMs: 120_000 });
    const common = ['--genome', 'missing.json', '--dataset', 'missing.csv', '--out', 'unused'];
    const flag = await cli(['--threads', '0', ...common]);
    expect(flag.status).not.toBe(0);
    expect(flag.stderr).toMatch(/--threads: expected a positive integer <= 64, got "0"/);
    const env = await cli(common, { [THREADS_ENV]: 'two' });
    expect(env.status).not.toBe(0);
    expect(env.stderr).toMatch(/ASSEMBLENET_THREADS to be an integer 1\.\.64, got "two"/);
  }, 150_000);
});
