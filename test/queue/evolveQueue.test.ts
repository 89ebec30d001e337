/**
 * `evolve --queue` with two real worker processes on a real redis-server:
 * - one worker SIGKILLed during an evaluation: its job runs again on the other worker, the
 *   search finishes, the journal holds each evaluation once, and genomes and fitness equal the
 *   local run with the same seed; the killed worker's task process does not outlive it;
 * - the coordinator SIGKILLed mid-search and resumed with --resume: no evaluation runs twice
 *   (each candidate's job starts once on the workers) and the result is again the local one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import {
  TINY_EVOLVE_MOTION,
  TINY_EVOLVE_SPACE,
  journalEvaluations,
  tinyEvolveArgs,
  type JournalEvaluation,
} from '../pipelines/fixtures/tinyEvolve.ts';
import { runProcess } from '../fixtures/runProcess.ts';
import { until } from '../fixtures/until.ts';
import { type RedisServer, startRedis } from './redisServer.ts';
import {
  type WorkerProcess,
  childPids,
  isAlive,
  startWorkerProcess,
  stopWorkerProcess,
} from './workerProcess.ts';

const CLI = join(import.meta.dirname, '../../bin/assemblenet.mjs');
const BUDGET = 6;

let dir: string;
let manifest: string;
let space: string;
let redis: RedisServer;
const workers: WorkerProcess[] = [];

function evolveArgs(out: string, extra: string[] = []): string[] {
  const run = {
    cli: CLI,
    space,
    manifest,
    budget: BUDGET,
    out,
    seed: 7,
    cacheDir: join(dir, 'cache'),
  };
  return [...tinyEvolveArgs(run), '--json', ...extra];
}

const byIndex = (records: JournalEvaluation[]) =>
  [...records].sort((a, b) => a.index - b.index).map((r) => [r.index, r.genome, r.fitness]);

/** Job starts per candidate index over the workers' logs. */
function startsPerCandidate(logs: string[]): Map<number, number> {
  const starts = new Map<number, number>();
  for (const log of logs)
    for (const match of log.matchAll(/worker: start evolve-candidate evolve-[0-9a-f]+-(\d+) /g))
      starts.set(Number(match[1]), (starts.get(Number(match[1])) ?? 0) + 1);
  return starts;
}

let reference: JournalEvaluation[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evolve-queue-'));
  manifest = (await generateSyntheticDataset(TINY_EVOLVE_MOTION, { out: join(dir, 'data') }))
    .manifests[0]!;
  space = join(dir, 'space.json');
  writeFileSync(space, JSON.stringify(TINY_EVOLVE_SPACE));
  // the local run (no --queue) with the same seed: what the queue runs must reproduce
  const local = await runProcess('node', evolveArgs(join(dir, 'local')));
  expect(local.status, local.stderr).toBe(0);
  reference = journalEvaluations(join(dir, 'local'));
  expect(reference.map((r) => r.index).sort()).toEqual([...Array(BUDGET).keys()]);
  expect(reference.every((r) => r.status === 'ok')).toBe(true);
  redis = await startRedis();
}, 300_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await redis?.stop();
});

describe('evolve --queue', () => {
  it('survives a worker SIGKILLed mid-evaluation and equals the local run', async () => {
    const pair = [
      await startWorkerProcess(redis.url, dir),
      await startWorkerProcess(redis.url, dir),
    ];
    workers.push(...pair);
    const out = join(dir, 'queued');
    const coordinator = spawn('node', evolveArgs(out, ['--queue', redis.url]), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    coordinator.stdout!.on('data', (chunk) => (stdout += chunk));
    coordinator.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => coordinator.on('exit', resolve));

    // kill worker 0 while it trains a candidate of the second batch (after the first is journaled)
    const victim = pair[0]!;
    await until(
      () =>
        journalEvaluations(out).length >= 2 &&
        /worker: start evolve-candidate evolve-[0-9a-f]+-[2-5] /.test(
          victim
            .log()
            .split(/worker: done/)
            .at(-1)!,
        ),
      'worker 0 to start a candidate of a later batch',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // inside the training
    const tasks = childPids(victim.child.pid!);
    expect(tasks.length).toBeGreaterThan(0); // the candidate's own process
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await until(() => tasks.every((pid) => !isAlive(pid)), 'the task process to exit', 30_000);

    expect(await exited, stderr).toBe(0);
    const records = journalEvaluations(out);
    expect(records.map((r) => r.index).sort()).toEqual([...Array(BUDGET).keys()]);
    expect(byIndex(records)).toEqual(byIndex(reference));
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary.evaluations).toBe(BUDGET);
    // the killed job ran again on the surviving worker
    const starts = startsPerCandidate(pair.map((w) => w.log()));
    expect([...starts.values()].reduce((a, b) => a + b, 0)).toBe(BUDGET + 1);
    expect(pair[1]!.log()).toMatch(/worker: done evolve-candidate/);
  }, 400_000);

  it('resumes a SIGKILLed coordinator without running any evaluation twice', async () => {
    // the survivor of the test above and a fresh worker; logs counted from here on
    const pair = [workers[1]!, await startWorkerProcess(redis.url, dir)];
    workers.push(pair[1]!);
    const offsets = pair.map((w) => w.log().length);
    const logs = () => pair.map((w, i) => w.log().slice(offsets[i]));
    const out = join(dir, 'resumed');
    const first = spawn('node', evolveArgs(out, ['--queue', redis.url]), { stdio: 'ignore' });
    const firstExit = new Promise<NodeJS.Signals | null>((resolve) =>
      first.on('exit', (_code, signal) => resolve(signal)),
    );
    // kill the coordinator while candidates it enqueued are still training
    await until(() => {
      const done = journalEvaluations(out).length;
      const started = [...startsPerCandidate(logs()).keys()].length;
      return done >= 2 && started > done;
    }, 'a journaled evaluation and a job in flight');
    first.kill('SIGKILL');
    expect(await firstExit).toBe('SIGKILL');
    const before = journalEvaluations(out).length;
    expect(before).toBeLessThan(BUDGET);

    const resumed = await runProcess('node', evolveArgs(out, ['--queue', redis.url, '--resume']));
    expect(resumed.status, resumed.stderr).toBe(0);
    const records = journalEvaluations(out);
    expect(records.map((r) => r.index).sort()).toEqual([...Array(BUDGET).keys()]);
    expect(byIndex(records)).toEqual(byIndex(reference));
    // a worker may log its last "done" after the coordinator exited
    await until(
      () =>
        logs()
          .join('')
          .match(/worker: done evolve-candidate/g)?.length === BUDGET,
      'the workers to log every finished job',
      10_000,
    );
    const starts = startsPerCandidate(logs());
    expect([...starts.keys()].sort()).toEqual([...Array(BUDGET).keys()]);
    expect([...starts.values()].every((count) => count === 1)).toBe(true);
  }, 400_000);
});
