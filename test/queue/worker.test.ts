/**
 * A real worker process on a real redis-server: jobs it refuses (unknown kinds, invalid
 * payloads, paths outside --root) fail once without retries; a job whose files it cannot see
 * fails naming the path; a task that fails every attempt becomes a failed record with its
 * reason after N attempts; `assemblenet queue status` lists them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator, QueueJobError } from '../../pipelines/queue/coordinator.ts';
import type { ExtractShardPayload } from '../../pipelines/queue/kinds.ts';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import { TINY_CONFIG, TINY_RGB_GENOME, tinyMotionSpec } from '../pipelines/fixtures/tinyRun.ts';
import { runProcess } from '../fixtures/runProcess.ts';
import { type RedisServer, startRedis } from './redisServer.ts';
import { type WorkerProcess, startWorkerProcess, stopWorkerProcess } from './workerProcess.ts';

const CLI = join(import.meta.dirname, '../../bin/assemblenet.mjs');
let redis: RedisServer;
let worker: WorkerProcess;
let coordinator: Coordinator;
let root: string;

function extractPayload(video: string): ExtractShardPayload {
  return {
    items: [{ id: 'v', path: video }],
    missing: [],
    cacheDir: join(root, 'cache'),
    flow: 'none',
    clips: 1,
    trainClips: 0,
    frames: 2,
    size: 8,
    fps: 'native',
    streams: [{ name: 'rgb', kind: 'rgb', frames: 2, stride: 1 }],
    identity: 'stat',
  };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected the job to fail, it completed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueueJobError);
  return (error as Error).message;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'queue-worker-'));
  mkdirSync(join(root, 'cache'));
  redis = await startRedis();
  worker = await startWorkerProcess(redis.url, root);
  coordinator = new Coordinator({ url: redis.url, attempts: 2, backoffMs: 100 });
}, 600_000);

afterAll(async () => {
  await coordinator?.close();
  if (worker) await stopWorkerProcess(worker);
  await redis?.stop();
});

describe('worker: refusals and failures', () => {
  it('refuses an unknown job kind at once, without retries', async () => {
    const message = await failure(
      coordinator.runOne({ kind: 'rm-rf' as never, id: 'bad-kind', payload: { path: '/' } }),
    );
    expect(message).toMatch(/after 1 attempt\(s\): refused: unknown job kind "rm-rf"/);
    expect(message).toContain('evolve-candidate, classify-shard, extract-shard');
  }, 240_000);

  it('refuses a payload that fails its schema, naming the field', async () => {
    const payload = { ...extractPayload(join(root, 'a.mp4')), frames: 0 };
    const message = await failure(
      coordinator.runOne({ kind: 'extract-shard', id: 'bad-payload', payload }),
    );
    expect(message).toMatch(
      /after 1 attempt\(s\): refused: extract-shard: expected a valid payload, got: frames:/,
    );
  }, 240_000);

  it('refuses paths outside --root, symlinks included', async () => {
    const outside = await failure(
      coordinator.runOne({
        kind: 'extract-shard',
        id: 'outside',
        payload: extractPayload('/etc/hostname'),
      }),
    );
    expect(outside).toMatch(
      /after 1 attempt\(s\).*\/etc\/hostname is outside this worker's --root/,
    );
    // a path under --root that leads outside through a symlink
    spawnSync('ln', ['-s', '/etc', join(root, 'etc-link')]);
    const linked = await failure(
      coordinator.runOne({
        kind: 'extract-shard',
        id: 'outside-link',
        payload: extractPayload(join(root, 'etc-link/hostname')),
      }),
    );
    expect(linked).toMatch(/etc-link\/hostname is outside this worker's --root/);
  }, 240_000);

  it('fails a job whose files it cannot see, naming the path, after its attempts', async () => {
    const unseen = join(root, 'not-mounted/video.mp4');
    const message = await failure(
      coordinator.runOne({ kind: 'extract-shard', id: 'unseen', payload: extractPayload(unseen) }),
    );
    expect(message).toContain(
      `after 2 attempt(s): extract-shard: this worker cannot see ${unseen}`,
    );
  }, 240_000);

  it('turns a task failing every attempt into a failed record with its reason', async () => {
    const manifest = join(root, 'broken.csv');
    writeFileSync(manifest, 'this is not a manifest\n');
    const message = await failure(
      coordinator.runOne({
        kind: 'evolve-candidate',
        id: 'broken-candidate',
        payload: {
          genome: TINY_RGB_GENOME,
          manifest,
          config: TINY_CONFIG,
          cacheDir: join(root, 'cache'),
          out: join(root, 'candidate-0'),
          evalSplit: 'val',
          failed: [],
        },
      }),
    );
    expect(message).toMatch(
      /evolve-candidate job broken-candidate failed after 2 attempt\(s\): evolve-candidate broken-candidate: .*broken\.csv/,
    );
    expect(worker.log().match(/worker: start evolve-candidate broken-candidate/g)).toHaveLength(2);
  }, 120_000);

  it('extract --queue fills the cache a local extract then finds complete', async () => {
    const manifest = (
      await generateSyntheticDataset(tinyMotionSpec('queue-extract', 6), {
        out: join(root, 'data'),
      })
    ).manifests[0]!;
    const args = [
      CLI,
      'extract',
      '--dataset',
      manifest,
      '--cache-dir',
      join(root, 'cache-extract'),
      '--flow',
      'farneback',
      '--frames',
      '4',
      '--size',
      '32',
      '--clips',
      '1',
      '--train-clips',
      '1',
      '--json',
    ];
    const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
    const queued = await runProcess('node', [...args, '--queue', redis.url, '--shard-size', '5']);
    expect(queued.status, queued.stderr).toBe(0);
    const summary = last(queued.stdout);
    expect(summary).toMatchObject({ total: 12, ok: 12, cached: 0, failed: 0, clipsPerVideo: 2 });
    // the worker may log its last "done" after the coordinator exited (shards of 5 + 5 + 2)
    await worker.waitFor(/(worker: done extract-shard[\s\S]*){3}/, 10_000);
    expect(worker.log().match(/worker: done extract-shard/g)).toHaveLength(3);
    const local = await runProcess('node', [...args, '--workers', '1']);
    expect(local.status, local.stderr).toBe(0);
    expect(last(local.stdout)).toMatchObject({ total: 12, ok: 0, cached: 12, failed: 0 });
  }, 180_000);

  it('lists failed jobs with their reasons in `queue status`', async () => {
    const run = await runProcess('node', [CLI, 'queue', 'status', '--queue', redis.url]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /1 worker connection\(s\); 0 waiting, 0 active, 0 delayed, 6 failed/,
    );
    expect(run.stdout).toMatch(/rm-rf bad-kind \(attempts 1\): refused: unknown job kind/);
    expect(run.stdout).toMatch(/extract-shard unseen \(attempts 2\): .*cannot see/);
    const json = await runProcess('node', [CLI, 'queue', 'status', '--queue', redis.url, '--json']);
    const status = JSON.parse(json.stdout.trim().split('\n').at(-1)!);
    expect(status.jobs.failed.map((j: { id: string }) => j.id).sort()).toEqual([
      'bad-kind',
      'bad-payload',
      'broken-candidate',
      'outside',
      'outside-link',
      'unseen',
    ]);
  }, 240_000);
});
