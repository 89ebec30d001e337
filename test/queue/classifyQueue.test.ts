/**
 * `classify --queue` with real worker processes on a real redis-server, against the local run:
 * - one worker SIGKILLed mid-shard: every video gets exactly one row, identical to the local
 *   rows (all but the wall time `ms`), the corrupt and missing videos as the same error rows;
 * - Redis restarted (empty: no persistence) mid-run: workers and coordinator reconnect, lost
 *   jobs are enqueued again, and the rows are again those of the local run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, readManifest } from '../../datasets/index.ts';
import { ClipPool, selectBackend } from '../../src/index.ts';
import type { ClassifyRow } from '../../pipelines/jobs/classify.ts';
import { runTrainJob } from '../../pipelines/jobs/train.ts';
import { TINY_CONFIG, TINY_RGB_GENOME, tinyMotionSpec } from '../pipelines/fixtures/tinyRun.ts';
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
let dir: string;
let list: string;
let redis: RedisServer;
let localRows: Map<string, Omit<ClassifyRow, 'ms'>>;
const workers: WorkerProcess[] = [];

function classifyArgs(out: string, extra: string[] = []): string[] {
  return [
    CLI,
    'classify',
    '--checkpoint',
    join(dir, 'run'),
    list,
    '--out',
    out,
    '--cache-dir',
    join(dir, 'cache'),
    '--backend',
    'wasm',
    '--workers',
    '1',
    '--json',
    ...extra,
  ];
}

function rowsOf(file: string): Omit<ClassifyRow, 'ms'>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith('}'))
    .map((line) => {
      const { ms: _ms, ...row } = JSON.parse(line) as ClassifyRow & { ms?: number };
      return row;
    });
}

function expectLocalRows(file: string): void {
  const rows = rowsOf(file);
  expect(rows.map((r) => r.video).sort()).toEqual([...localRows.keys()].sort()); // one row each
  for (const row of rows) expect(row, row.video).toEqual(localRows.get(row.video));
}

function runCoordinator(args: string[]) {
  const child = spawn('node', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'classify-queue-'));
  await selectBackend('wasm');
  const manifestFile = (
    await generateSyntheticDataset(tinyMotionSpec('queue-motion', 11), { out: join(dir, 'data') })
  ).manifests[0]!;
  const { manifest } = readManifest(manifestFile);
  const pool = new ClipPool({ workers: 2 });
  try {
    const trained = await runTrainJob({
      genome: TINY_RGB_GENOME,
      manifest,
      config: TINY_CONFIG,
      out: join(dir, 'run'),
      cacheDir: join(dir, 'cache'),
      pool,
      skipEval: true,
      progress: false,
      log: () => {},
    });
    trained.network.dispose();
  } finally {
    await pool.destroy();
  }
  // every video of the set, a corrupt one and one that exists nowhere
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'broken.mp4'), 'not a video\n');
  list = join(dir, 'videos.lst');
  writeFileSync(
    list,
    [...manifest.items.map((item) => item.path), 'bad/broken.mp4', 'bad/missing.mp4', ''].join(
      '\n',
    ),
  );
  const local = await runProcess('node', classifyArgs(join(dir, 'local.jsonl')));
  expect(local.status, local.stderr).toBe(1); // the two bad videos
  const rows = rowsOf(join(dir, 'local.jsonl'));
  expect(rows).toHaveLength(manifest.items.length + 2);
  expect(rows.filter((row) => 'error' in row)).toHaveLength(2);
  localRows = new Map(rows.map((row) => [row.video, row]));
  redis = await startRedis();
  workers.push(await startWorkerProcess(redis.url, dir), await startWorkerProcess(redis.url, dir));
}, 300_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await redis?.stop();
});

describe('classify --queue', () => {
  it('gives every video one row, as the local run, with a worker SIGKILLed mid-shard', async () => {
    const out = join(dir, 'queued.jsonl');
    const run = runCoordinator(classifyArgs(out, ['--queue', redis.url, '--shard-size', '3']));
    // the victim: the first worker to start a shard, killed while its task process works
    let victim: WorkerProcess | undefined;
    await until(() => {
      victim = workers.find((w) => /worker: start classify-shard/.test(w.log()));
      return victim !== undefined;
    }, 'a worker to start a shard');
    let tasks: number[] = [];
    await until(() => {
      tasks = childPids(victim!.child.pid!);
      return tasks.length > 0;
    }, 'the shard task process');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(victim!.log()).not.toMatch(/worker: done classify-shard/); // still mid-shard
    victim!.child.kill('SIGKILL');
    expect((await victim!.exited).signal).toBe('SIGKILL');
    await until(() => tasks.every((pid) => !isAlive(pid)), 'the task process to exit', 30_000);

    expect(await run.exited, run.stderr()).toBe(1); // exit 1: the two bad videos' error rows
    expectLocalRows(out);
    const survivor = workers.find((w) => w !== victim)!;
    expect(survivor.log()).toMatch(/worker: done classify-shard/);
    workers.splice(workers.indexOf(victim!), 1);
  }, 300_000);

  it('reconnects through a Redis restart and still gives the local rows', async () => {
    workers.push(await startWorkerProcess(redis.url, dir));
    const out = join(dir, 'restarted.jsonl');
    const run = runCoordinator(classifyArgs(out, ['--queue', redis.url, '--shard-size', '4']));
    await until(() => rowsOf(out).length >= 1, 'the first shard', 200_000);
    await redis.restart(); // an empty Redis on the same port: the queue and its jobs are gone
    const offsets = workers.map((w) => w.log().length);
    expect(await run.exited, run.stderr()).toBe(1);
    expect(run.stderr()).toMatch(/is gone from Redis \(restarted\?\): enqueued again/);
    expectLocalRows(out);
    // both workers took jobs from the restarted Redis
    workers.forEach((worker, i) =>
      expect(worker.log().slice(offsets[i])).toMatch(/worker: start classify-shard/),
    );
  }, 420_000);
});
