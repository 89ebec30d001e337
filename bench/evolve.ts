/**
 * Evolution throughput: the same small connectivity search (same seed, so the same candidates)
 * with 2 candidate processes vs 1, in the same run; evaluations per hour. ratio = 1-worker time /
 * 2-worker time (goal: close to 2 on 2 free cores, since candidates train in separate processes).
 *
 *   npm run bench -- evolve [--budget N] [--json]
 *
 * The dataset is a tiny synthetic motion set generated into a temporary folder; clips are
 * extracted once before timing, so both runs time only the candidates' proxy training.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runEvolveJob } from '../pipelines/jobs/evolve.ts';
import { selectBackend } from '../src/index.ts';
import { prepareEvolveBench } from './_evolveSetup.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
  const budget = flag(args, '--budget', 4);
  await selectBackend('wasm');
  process.env.ASSEMBLENET_BACKEND = 'wasm';
  const dir = mkdtempSync(join(tmpdir(), 'bench-evolve-'));
  try {
    const { manifest, space, config, settings } = await prepareEvolveBench(dir, budget);
    const time = async (workers: number) => {
      const started = performance.now();
      await runEvolveJob({
        space,
        manifest,
        config,
        settings,
        out: join(dir, `w${workers}`),
        workers,
        cacheDir: join(dir, 'cache'),
        resume: false,
        progress: false,
        log: () => undefined,
      });
      return performance.now() - started;
    };
    await time(2); // warm: extraction into the cache, module compilation
    rmSync(join(dir, 'w2'), { recursive: true, force: true });
    const oneMs = await time(1);
    const twoMs = await time(2);
    const perHour = (ms: number) => (budget * 3_600_000) / ms;
    const result = {
      bench: 'evolve',
      baseline: '1 candidate process at a time (--workers 1)',
      project: '2 candidate processes (--workers 2)',
      shapes: { budget, frames: 8, size: 64, width: 0.25, epochs: 2, batch: 4, trainVideos: 8 },
      baseline_ms: Math.round(oneMs),
      project_ms: Math.round(twoMs),
      ratio: Number((oneMs / twoMs).toFixed(2)),
      evaluations_per_hour_1: Math.round(perHour(oneMs)),
      evaluations_per_hour_2: Math.round(perHour(twoMs)),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavg: loadavg().map((l) => Number(l.toFixed(2))),
      },
    };
    process.stdout.write(
      `evolve: ${budget} evaluations; 1 worker ${(oneMs / 1000).toFixed(1)} s (${result.evaluations_per_hour_1}/h), 2 workers ${(twoMs / 1000).toFixed(1)} s (${result.evaluations_per_hour_2}/h): ${result.ratio}x\n`,
    );
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
