import type { Command } from 'commander';
import { writeJsonLine } from '../output.ts';

export function registerQueue(program: Command): void {
  const queue = program
    .command('queue')
    .description('look at the Redis queue that `assemblenet worker` processes take jobs from');
  queue
    .command('status')
    .description('job counts, and the waiting / active / delayed / failed jobs with their reasons')
    .requiredOption('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss://... (TLS)')
    .option('--json', 'one JSON object instead of the table')
    .action(async (flags: { queue: string; json?: boolean }) => {
      const { queueStatus, formatQueueStatus } = await import('../queue/status.ts');
      const status = await queueStatus(flags.queue);
      if (flags.json) writeJsonLine(status);
      else process.stdout.write(`${formatQueueStatus(status)}\n`);
    });
}
