/** `assemblenet queue status`: job counts and the waiting / active / failed jobs of the queue. */
import { Queue, type Job } from 'bullmq';
import { QUEUE_NAME, parseQueueUrl, redactQueueUrl } from './connection.ts';

export const STATUS_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export interface JobLine {
  id: string;
  kind: string;
  attempts: number;
  /** The last failure (failed jobs, and waiting/delayed ones being retried). */
  reason?: string;
}

export interface QueueStatus {
  queue: string;
  counts: Record<StatusState, number>;
  workers: number;
  /** Listed states (completed jobs are only counted). */
  jobs: { waiting: JobLine[]; active: JobLine[]; delayed: JobLine[]; failed: JobLine[] };
}

function line(job: Job): JobLine {
  return {
    id: String(job.id),
    kind: job.name,
    attempts: job.attemptsMade,
    ...(job.failedReason ? { reason: job.failedReason } : {}),
  };
}

export async function queueStatus(url: string, limit = 50): Promise<QueueStatus> {
  // fail fast here (one look, not a long-running process): no endless reconnects
  const queue = new Queue(QUEUE_NAME, {
    connection: { ...parseQueueUrl(url), maxRetriesPerRequest: 1, retryStrategy: () => null },
  });
  queue.on('error', () => undefined); // reported by the awaited call below
  try {
    const counts = (await queue.getJobCounts(...STATUS_STATES)) as Record<StatusState, number>;
    const list = async (state: 'waiting' | 'active' | 'delayed' | 'failed') =>
      (await queue.getJobs([state], 0, limit - 1, true)).filter(Boolean).map(line);
    return {
      queue: redactQueueUrl(url),
      counts,
      workers: await queue.getWorkersCount(),
      jobs: {
        waiting: await list('waiting'),
        active: await list('active'),
        delayed: await list('delayed'),
        failed: await list('failed'),
      },
    };
  } finally {
    await queue.close();
  }
}

export function formatQueueStatus(status: QueueStatus): string {
  const { counts } = status;
  const lines = [
    `queue ${status.queue}: ${status.workers} worker connection(s); ` +
      STATUS_STATES.map((state) => `${counts[state]} ${state}`).join(', '),
  ];
  for (const state of ['active', 'waiting', 'delayed', 'failed'] as const) {
    const jobs = status.jobs[state];
    if (!jobs.length) continue;
    lines.push(`${state}:`);
    for (const job of jobs) {
      lines.push(
        `  ${job.kind} ${job.id} (attempts ${job.attempts})${job.reason ? `: ${job.reason}` : ''}`,
      );
    }
    if (jobs.length < counts[state]) lines.push(`  ... and ${counts[state] - jobs.length} more`);
  }
  return lines.join('\n');
}
