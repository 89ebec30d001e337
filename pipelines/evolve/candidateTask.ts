/**
 * One evolution candidate, run in its own process (runInChildProcess): proxy-train the genome's
 * network on the train split, score it on the val split, and return the fitness with the
 * connection weights it learned (what guided mutation prunes by).
 */
import { rmSync } from 'node:fs';
import { ClipPool, isBlock, selectBackend, type Genome } from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import type { RunConfig } from '../jobs/runConfig.ts';
import { runTrainJob } from '../jobs/train.ts';

export interface CandidateRequest {
  genome: Genome;
  manifest: string;
  classes?: string;
  config: RunConfig;
  cacheDir: string;
  /** Folder of this candidate's run (emptied first: a killed attempt starts over). */
  out: string;
  evalSplit: string;
  /** Videos that failed when the search prepared the clips (left out, not retried). */
  failed: string[];
}

export interface CandidateResult {
  fitness: number;
  /** Per genome node, aligned with its inputs ([] for stems, [1] for single-input nodes). */
  connectionWeights: number[][];
  metrics: Record<string, number>;
}

export default async function candidateTask(request: CandidateRequest): Promise<CandidateResult> {
  await selectBackend();
  rmSync(request.out, { recursive: true, force: true });
  const { manifest } = readManifest(request.manifest, request.classes ? { classes: request.classes } : {});
  const pool = new ClipPool({ workers: 1 });
  try {
    const result = await runTrainJob({
      genome: request.genome,
      manifest,
      config: request.config,
      out: request.out,
      cacheDir: request.cacheDir,
      pool,
      evalSplit: request.evalSplit,
      prepared: { failed: request.failed },
      progress: false,
      log: () => undefined,
    });
    const summary = result.eval;
    if (!summary) throw new Error(`no ${request.evalSplit} videos to score the candidate on`);
    const learned = new Map(result.network.connectionWeights().map((edge) => [edge.node, edge.weights]));
    const connectionWeights = request.genome.nodes.map((node, index) =>
      isBlock(node) ? (learned.get(index) ?? node.inputs.map(() => 1)) : [],
    );
    result.network.dispose();
    const fitness = summary.multi_label ? summary.map! : summary.top1!;
    const metrics: Record<string, number> = { steps: result.steps, trainSeconds: result.seconds };
    for (const key of ['top1', 'top5', 'mean_class_accuracy', 'map'] as const) {
      if (summary[key] !== undefined) metrics[key] = summary[key]!;
    }
    return { fitness, connectionWeights, metrics };
  } finally {
    await pool.destroy();
  }
}
