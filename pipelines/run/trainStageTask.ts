/**
 * One train stage of a pipeline, run in its own process (runInChildProcess) so that train
 * stages without dependencies between them train side by side, one per core: the wasm backend
 * computes on one thread. Clips come from the cache the extract stage filled; progress lines go
 * to stderr, which the pipeline forwards with the stage's name.
 */
import { ClipPool, readGenome, selectBackend } from '../../src/index.ts';
import type { EvalSummary } from '../jobs/summarize.ts';
import { readManifest } from '../../datasets/index.ts';
import type { RunConfig } from '../../src/networks/runConfig.ts';
import { runTrainJob } from '../jobs/train.ts';

export interface TrainStageRequest {
  /** Genome file (the pipeline writes an evolved genome to disk first). */
  genomeFile: string;
  manifest: string;
  classes?: string;
  config: RunConfig;
  out: string;
  cacheDir: string;
}

export interface TrainStageResult {
  checkpoint: string;
  steps: number;
  seconds: number;
  eval?: EvalSummary & { split: string };
}

export default async function trainStageTask(
  request: TrainStageRequest,
): Promise<TrainStageResult> {
  await selectBackend();
  const { manifest } = readManifest(
    request.manifest,
    request.classes ? { classes: request.classes } : {},
  );
  const pool = new ClipPool({ workers: 1 });
  try {
    const result = await runTrainJob({
      genome: readGenome(request.genomeFile),
      manifest,
      config: request.config,
      out: request.out,
      cacheDir: request.cacheDir,
      pool,
      resume: true,
      evalSplit: 'test',
      log: (line) => process.stderr.write(`${line}\n`),
    });
    result.network.dispose();
    return {
      checkpoint: result.checkpoint,
      steps: result.steps,
      seconds: result.seconds,
      ...(result.eval ? { eval: result.eval } : {}),
    };
  } finally {
    await pool.destroy();
  }
}
