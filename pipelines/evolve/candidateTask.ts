/**
 * One evolution candidate, run in its own process (runInChildProcess): proxy-train the genome's
 * network on the train split, score it on the val split, and return the fitness with the
 * connection weights it learned (what guided mutation prunes by). With weight inheritance on,
 * the network starts from the parent's stored weights where nodes and edges persist, and the
 * trained weights are stored for the candidate's own children.
 */
import { rmSync } from 'node:fs';
import {
  ClipPool,
  isBlock,
  selectBackend,
  type AssembleNetwork,
  type Genome,
} from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import type { InheritanceSummary } from '../../evolution/index.ts';
import type { RunConfig } from '../../src/networks/runConfig.ts';
import { runTrainJob } from '../jobs/train.ts';
import { inheritFromParent, saveCandidateWeights, type ParentWeights } from './inheritWeights.ts';

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
  /** Weight inheritance: the candidate's index and node keys, its parent's stored weights, and
   * where to store its own trained weights. */
  inherit?: { index: number; keys: string[]; parent: ParentWeights | null; saveTo: string };
}

export interface CandidateResult {
  fitness: number;
  /** Per genome node, aligned with its inputs ([] for stems, [1] for single-input nodes). */
  connectionWeights: number[][];
  metrics: Record<string, number>;
  inheritance?: InheritanceSummary;
}

export default async function candidateTask(request: CandidateRequest): Promise<CandidateResult> {
  await selectBackend();
  rmSync(request.out, { recursive: true, force: true });
  const { manifest } = readManifest(
    request.manifest,
    request.classes ? { classes: request.classes } : {},
  );
  const pool = new ClipPool({ workers: 1 });
  const inherit = request.inherit;
  let inheritance: InheritanceSummary | undefined;
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
      ...(inherit?.parent
        ? {
            initialize: async (network: AssembleNetwork) => {
              inheritance = await inheritFromParent(network, inherit.keys, inherit.parent!);
            },
          }
        : {}),
    });
    const summary = result.eval;
    if (!summary) throw new Error(`no ${request.evalSplit} videos to score the candidate on`);
    const learned = new Map(
      result.network.connectionWeights().map((edge) => [edge.node, edge.weights]),
    );
    const connectionWeights = request.genome.nodes.map((node, index) =>
      isBlock(node) ? (learned.get(index) ?? node.inputs.map(() => 1)) : [],
    );
    if (inherit)
      await saveCandidateWeights(inherit.saveTo, result.network, {
        index: inherit.index,
        keys: inherit.keys,
      });
    result.network.dispose();
    const fitness = summary.multi_label ? summary.map! : summary.top1!;
    const metrics: Record<string, number> = { steps: result.steps, trainSeconds: result.seconds };
    for (const key of ['top1', 'top5', 'mean_class_accuracy', 'map'] as const) {
      if (summary[key] !== undefined) metrics[key] = summary[key]!;
    }
    return { fitness, connectionWeights, metrics, ...(inheritance ? { inheritance } : {}) };
  } finally {
    await pool.destroy();
  }
}
