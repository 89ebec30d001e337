/**
 * Scale-out through the queue: the same small connectivity search (same seed, so the same
 * candidates) through `evolve --queue` with 2 worker processes vs 1, on a real redis-server on
 * loopback, in the same run. ratio = 1-worker time / 2-worker time (on one 2-core machine the
 * ceiling is 2; across machines each worker brings its own cores).
 *
 *   npm run bench -- queue [--budget N] [--json]
 *
 * The dataset is a tiny synthetic motion set in a temporary folder; clips are extracted by a
 * warm-up run before timing, and workers are started (and ready) before their timed run, so
 * both runs time the candidates' proxy training plus the queue's overhead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runEvolveJob } from '../pipelines/jobs/evolve.ts';
import { selectBackend } from '../src/index.ts';
import { startRedis } from '../test/queue/redisServer.ts';
import { startWorkerProcess, stopWorkerProcess } from '../test/queue/workerProcess.ts';
import { prepareEvolveBench } from './_evolveSetup.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
  const budget = flag(args, '--budget', 6);
  await selectBackend('wasm');
  process.env.ASSEMBLENET_BACKEND = 'wasm';
  const dir = mkdtempSync(join(tmpdir(), 'bench-queue-'));
  const redis = await startRedis();
  try {
    const { manifest, space, config, settings } = await prepareEvolveBench(dir, budget);
    const search = (out: string, queue?: string) =>
      runEvolveJob({
        space,
        manifest,
        config,
        settings,
        out: join(dir, out),
        workers: 2,
        cacheDir: join(dir, 'cache'),
        resume: false,
        progress: false,
        log: () => undefined,
        ...(queue ? { queue } : {}),
      });
    await search('warm'); // extraction into the cache, module compilation
    const time = async (count: number) => {
      const workers = [];
      for (let i = 0; i < count; i++) workers.push(await startWorkerProcess(redis.url, dir));
      try {
        const started = performance.now();
        const result = await search(`w${count}`, redis.url);
        return { ms: performance.now() - started, best: result.best?.fitness ?? null };
      } finally {
        for (const worker of workers) await stopWorkerProcess(worker);
      }
    };
    const one = await time(1);
    const two = await time(2);
    if (one.best !== two.best)
      throw new Error(`bench: the two runs differ: ${one.best} vs ${two.best}`);
    const perHour = (ms: number) => (budget * 3_600_000) / ms;
    const result = {
      bench: 'queue',
      baseline: 'evolve --queue with 1 worker process',
      project: 'evolve --queue with 2 worker processes',
      shapes: { budget, frames: 8, size: 64, width: 0.25, epochs: 2, batch: 4, trainVideos: 8 },
      baseline_ms: Math.round(one.ms),
      project_ms: Math.round(two.ms),
      ratio: Number((one.ms / two.ms).toFixed(2)),
      evaluations_per_hour_1: Math.round(perHour(one.ms)),
      evaluations_per_hour_2: Math.round(perHour(two.ms)),
      best_fitness: two.best,
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavg: loadavg().map((l) => Number(l.toFixed(2))),
      },
    };
    process.stdout.write(
      `queue: ${budget} evaluations; 1 worker ${(one.ms / 1000).toFixed(1)} s (${result.evaluations_per_hour_1}/h), 2 workers ${(two.ms / 1000).toFixed(1)} s (${result.evaluations_per_hour_2}/h): ${result.ratio}x\n`,
    );
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
