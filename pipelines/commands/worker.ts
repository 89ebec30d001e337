import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  DEFAULT_WORKER_CONCURRENCY,
} from '../queue/defaults.ts';

interface WorkerFlags extends BackendFlag {
  queue: string;
  concurrency: number;
  root: string;
  lockDuration?: number;
  stalledInterval?: number;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'take evolve/classify/extract jobs from a Redis queue until stopped (SIGINT/SIGTERM: running jobs return to the queue)',
    )
    .requiredOption('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss://... (TLS)')
    .option(
      '--concurrency <n>',
      'jobs at once, one process each',
      positiveInt('--concurrency'),
      DEFAULT_WORKER_CONCURRENCY,
    )
    .option(
      '--root <dir>',
      'refuse jobs naming paths outside this folder (default: the current folder)',
      process.cwd(),
    )
    .option(
      '--lock-duration <ms>',
      `job lock: a killed worker's job runs again elsewhere after about this long (default ${DEFAULT_LOCK_DURATION_MS})`,
      positiveInt('--lock-duration'),
    )
    .option(
      '--stalled-interval <ms>',
      `how often this worker looks for jobs of killed workers (default ${DEFAULT_STALLED_INTERVAL_MS})`,
      positiveInt('--stalled-interval'),
    )
    .addOption(backendOption())
    .action(async (flags: WorkerFlags) => {
      const { startWorker } = await import('../queue/worker.ts');
      const running = await startWorker({
        url: flags.queue,
        concurrency: flags.concurrency,
        root: resolve(flags.root),
        backend: flags.backend,
        ...(flags.lockDuration ? { lockDurationMs: flags.lockDuration } : {}),
        ...(flags.stalledInterval ? { stalledIntervalMs: flags.stalledInterval } : {}),
      });
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          process.stderr.write(`worker: ${signal}: stopping (running jobs return to the queue)\n`);
          void running.stop().then(done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
