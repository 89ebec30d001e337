/**
 * The pipeline's stage table: one runner per stage kind, one file each. A stage kind missing here
 * is a type error, so the table and the spec schema (../run/spec.ts) cannot drift apart.
 */
import type { StageSpec } from '../run/spec.ts';
import { runClassifyStage } from './classify.ts';
import type { StageRunner } from './context.ts';
import { runDistillStage } from './distill.ts';
import { runEvolveStage } from './evolve.ts';
import { runExtractStage } from './extract.ts';
import { runGenerateStage } from './generate.ts';
import { runTrainStage } from './train.ts';

type StageTable = { readonly [K in StageSpec['stage']]: StageRunner<K> };

export const STAGES: StageTable = Object.freeze({
  generate: runGenerateStage,
  extract: runExtractStage,
  evolve: runEvolveStage,
  train: runTrainStage,
  classify: runClassifyStage,
  distill: runDistillStage,
  // The summary table is printed by the run command from the result; nothing to run here.
  summary: async () => {},
});

export type { StageContext } from './context.ts';
export { runTrainStagesInParallel } from './train.ts';
