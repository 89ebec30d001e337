import { describe, expect, it } from 'vitest';
import { runInChildProcess } from '../../src/workers/childProcess.ts';

const TASK = new URL('./fixtures/childTask.ts', import.meta.url);

describe('runInChildProcess', () => {
  it('runs the task in another process and returns its result (typed arrays survive)', async () => {
    const result = await runInChildProcess<
      unknown,
      { pid: number; sum: number; typed: Float32Array }
    >(TASK, { kind: 'echo', value: [1, 2, 3] });
    expect(result.pid).not.toBe(process.pid);
    expect(result.sum).toBe(6);
    expect(result.typed).toBeInstanceOf(Float32Array);
  });

  it('a throw, a crash and a cancellation each fail alone with the label', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1500);
    const outcomes = await Promise.allSettled([
      runInChildProcess(TASK, { kind: 'throw' }, { label: 'candidate 1' }),
      runInChildProcess(TASK, { kind: 'exit' }, { label: 'candidate 2' }),
      runInChildProcess(TASK, { kind: 'hang' }, { label: 'candidate 3', signal: abort.signal }),
      runInChildProcess(TASK, { kind: 'echo', value: [4] }, { label: 'candidate 4' }),
    ]);
    const [thrown, crashed, cancelled, fine] = outcomes;
    expect(thrown.status === 'rejected' && String(thrown.reason)).toMatch(
      /candidate 1: bad candidate/,
    );
    expect(crashed.status === 'rejected' && String(crashed.reason)).toMatch(
      /candidate 2: process ended without an answer \(exit code 3\)/,
    );
    expect(cancelled.status === 'rejected' && String(cancelled.reason)).toMatch(
      /candidate 3: cancelled/,
    );
    expect(fine.status === 'fulfilled' && (fine.value as { sum: number }).sum).toBe(4);
  });
});
