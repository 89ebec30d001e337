/**
 * `evolve --queue`: every candidate is an evolve-candidate job with the same request the local
 * path hands runInChildProcess. Job ids are fixed by the run (its output folder and the journal
 * header's start time, which --resume keeps) and the candidate index, so a resumed coordinator
 * waits for, or reads back, the jobs its killed predecessor enqueued instead of running them again.
 */
import { join } from 'node:path';
import { readJournal, type Candidate } from '../../evolution/index.ts';
import type { CandidateRequest, CandidateResult } from '../evolve/candidateTask.ts';
import { type Coordinator, QueueJobError, jobIdFor } from './coordinator.ts';

export function queueCandidateEvaluator(
  coordinator: Coordinator,
  out: string,
  request: (candidate: Candidate) => CandidateRequest,
): (candidate: Candidate, signal: AbortSignal) => Promise<CandidateResult> {
  let runId: string | undefined;
  return async (candidate, signal) => {
    runId ??= jobIdFor(
      'evolve',
      out,
      readJournal(join(out, 'journal.jsonl')).header?.startedAt ?? null,
    );
    const id = `${runId}-${candidate.index}`;
    const result = coordinator.runOne<CandidateResult>({
      kind: 'evolve-candidate',
      id,
      payload: request(candidate),
    });
    const onAbort = () =>
      coordinator.forget(id, new QueueJobError(`candidate ${candidate.index}: cancelled`));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
