/**
 * `queue` in pipeline files: the URL is checked when the file is read, and a pipeline with it
 * hands its evolve candidates and classify shards to a real worker process on a real
 * redis-server, ending with the rows and journal a local run writes.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../datasets/index.ts';
import { genomeToJSON, selectBackend } from '../../src/index.ts';
import { runPipeline } from '../../pipelines/run/runPipeline.ts';
import { parsePipeline } from '../../pipelines/run/spec.ts';
import {
  TINY_RGB_GENOME,
  TINY_TWO_CLASSES,
  tinyMotionSpec,
} from '../pipelines/fixtures/tinyRun.ts';
import { type RedisServer, startRedis } from './redisServer.ts';
import { type WorkerProcess, startWorkerProcess, stopWorkerProcess } from './workerProcess.ts';

const BASE = { name: 'p', out: 'o', dataset: { spec: 'synthetic-motion' } };
let dir: string;
let redis: RedisServer;
let worker: WorkerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-queue-'));
  redis = await startRedis();
  worker = await startWorkerProcess(redis.url, dir);
}, 600_000);

afterAll(async () => {
  if (worker) await stopWorkerProcess(worker);
  await redis?.stop();
});

describe('pipeline files with a queue', () => {
  it('checks the queue URL when the file is read', () => {
    const stages = [{ stage: 'generate' }];
    expect(
      parsePipeline({ ...BASE, queue: 'redis://u:p@10.0.0.5:6380/2', stages }, 'p.json').queue,
    ).toBe('redis://u:p@10.0.0.5:6380/2');
    expect(() => parsePipeline({ ...BASE, queue: 'http://host:1', stages }, 'p.json')).toThrow(
      /queue: --queue: expected a redis:\/\/ or rediss:\/\/ URL.*\(p\.json\)/,
    );
  });

  it('runs evolve candidates and classify shards on the workers', async () => {
    await selectBackend('wasm');
    process.env.ASSEMBLENET_BACKEND = 'wasm';
    const data = await generateSyntheticDataset(
      tinyMotionSpec('pipe-motion', 4, TINY_TWO_CLASSES, {
        frames: 8,
        objectSize: [8, 12],
        videosPerClass: 3,
        splits: { train: 0.34, val: 0.33, test: 0.33 },
      }),
      { out: join(dir, 'data') },
    );
    const space = join(dir, 'space.json');
    writeFileSync(
      space,
      JSON.stringify({
        name: 'tiny',
        stems: [{ stem: 'rgb', temporal: 1 }],
        stemTemporal: { rgb: [1] },
        nodesPerLevel: [
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
        ],
        initialNodesPerLevel: [1, 1, 1, 1],
        filters: [8, 8, 16, 16],
        dilations: [1, 2],
        initialInputs: [1, 1],
        modulesPerLevel: [1, 1, 1, 1],
      }),
    );
    const genome = join(dir, 'tiny.json');
    writeFileSync(genome, JSON.stringify(genomeToJSON(TINY_RGB_GENOME)));
    const spec = parsePipeline(
      {
        name: 'queued',
        out: join(dir, 'run'),
        dataset: { manifest: data.manifests[0] },
        settings: {
          frames: 4,
          size: 32,
          width: 0.125,
          epochs: 1,
          batch: 2,
          trainClips: 1,
          testClips: 1,
        },
        queue: redis.url,
        stages: [
          { stage: 'evolve', space, budget: 2, population: 2 },
          { stage: 'train', name: 'tiny', genome },
          { stage: 'classify', model: 'tiny', split: 'test' },
        ],
      },
      'queued.json',
    );
    const result = await runPipeline(spec, {
      cacheDir: join(dir, 'cache'),
      workers: 1,
      log: () => {},
    });
    const journal = readFileSync(join(dir, 'run/evolve/journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; status?: string });
    expect(journal.filter((l) => l.type === 'evaluation' && l.status === 'ok')).toHaveLength(2);
    expect(worker.log().match(/worker: done evolve-candidate/g)).toHaveLength(2);
    const rowsFile = result.classify[0]!.out;
    expect(existsSync(rowsFile)).toBe(true);
    const rows = readFileSync(rowsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(result.classify[0]!.ok);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row: { scores?: number[] }) => row.scores?.length === 2)).toBe(true);
    expect(worker.log()).toMatch(/worker: done classify-shard/);
  }, 400_000);
});
