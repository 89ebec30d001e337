/**
 * One student training, run in its own process (runInChildProcess) so that a wasm abort or an
 * exhausted heap is this candidate's failure, not the job's: open the session (the teacher's
 * outputs are read from the cache the job filled), train the student (batch lowered to what the
 * heap holds, measured first), score it, and answer with the scores.
 */
import {
  ClipPool,
  selectBackend,
  type StudentArch,
  type StudentObjective,
} from '../../../src/index.ts';
import type { Manifest } from '../../../datasets/index.ts';
import type { SplitScore } from './score.ts';
import { openDistillSession } from './session.ts';
import type { StudentTrainSettings } from './trainStudent.ts';

export interface CandidateRequest {
  teacher: string;
  manifest: Manifest;
  /** The job's folder (teacher outputs, latency cache). */
  out: string;
  cacheDir: string;
  workers: number;
  settings?: StudentTrainSettings;
  objective: StudentObjective;
  arch: StudentArch;
  epochs: number;
  seed: number;
  /** The final training saves the student here. */
  checkpointDir?: string;
  /** Splits to score on after training. */
  score: ('val' | 'test')[];
}

export interface CandidateResult {
  val?: SplitScore;
  test?: SplitScore;
  steps: number;
  batch: number;
  batchMessage?: string;
}

export default async function candidateTask(request: CandidateRequest): Promise<CandidateResult> {
  await selectBackend();
  const pool = new ClipPool({ workers: request.workers });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const session = await openDistillSession({
      teacher: request.teacher,
      manifest: request.manifest,
      out: request.out,
      cacheDir: request.cacheDir,
      pool,
      objective: request.objective,
      features: request.objective.featureWeight > 0,
      ...(request.settings ? { settings: request.settings } : {}),
      log,
    });
    try {
      const trained = await session.trainStudent(request.arch, request.epochs, {
        seed: request.seed,
        fitBatchToHeap: true,
        ...(request.checkpointDir ? { checkpointDir: request.checkpointDir } : {}),
      });
      try {
        const result: CandidateResult = {
          steps: trained.steps,
          batch: trained.batch,
          ...(trained.batchMessage ? { batchMessage: trained.batchMessage } : {}),
        };
        if (request.score.includes('val'))
          result.val = await session.score(
            trained.network,
            trained.template,
            session.valItems,
            session.valSplit,
          );
        if (request.score.includes('test'))
          result.test =
            session.valSplit === session.testSplit && result.val
              ? result.val
              : await session.score(
                  trained.network,
                  trained.template,
                  session.testItems,
                  session.testSplit,
                );
        return result;
      } finally {
        trained.network.dispose();
      }
    } finally {
      session.dispose();
    }
  } finally {
    await pool.destroy();
  }
}
