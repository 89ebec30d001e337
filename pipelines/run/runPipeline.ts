/**
 * Runs a pipeline file (see spec.ts): each stage is one of the jobs users also run alone, looked
 * up in the stage table (../stages/index.ts). Stages resume by themselves: generation and
 * extraction are cached, evolve continues its journal, train continues from its newest
 * checkpoint, classify skips videos already written, distill reads its table back when it
 * finished with the same parameters (else reuses the cached teacher logits and searches again).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClipPool, defaultCacheDir, defaultWorkerCount } from '../../src/index.ts';
import type { PipelineResult, StageContext, StageOf } from '../stages/context.ts';
import { runTrainStagesInParallel, STAGES } from '../stages/index.ts';
import type { PipelineSpec, StageSpec } from './spec.ts';

export type {
  DistilledModel,
  PipelineResult,
  TrainedModel,
} from '../stages/context.ts';
export { resolveProjectPath } from '../stages/context.ts';

function runStage(ctx: StageContext, stage: StageSpec): Promise<void> {
  const runner = STAGES[stage.stage] as (ctx: StageContext, stage: StageSpec) => Promise<void>;
  return runner(ctx, stage);
}

export interface RunPipelineOptions {
  out?: string;
  cacheDir?: string;
  workers?: number;
  /** Overrides the pipeline file's `queue`. */
  queue?: string;
  log?: (line: string) => void;
}

export async function runPipeline(
  spec: PipelineSpec,
  options: RunPipelineOptions = {},
): Promise<PipelineResult> {
  const started = Date.now();
  const out = resolve(options.out ?? spec.out);
  mkdirSync(out, { recursive: true });
  const workers = options.workers ?? spec.workers;
  const ctx: StageContext = {
    spec,
    out,
    workers,
    ...(options.queue || spec.queue ? { queue: options.queue ?? spec.queue } : {}),
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    pool: new ClipPool(workers ? { workers } : {}),
    result: { out, models: [], classify: [], distill: [], seconds: 0 },
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  try {
    const parallel = Math.max(1, workers ?? defaultWorkerCount());
    for (let index = 0; index < spec.stages.length; index++) {
      const stage = spec.stages[index]!;
      ctx.log(
        `== stage ${index + 1}/${spec.stages.length}: ${stage.stage}${'name' in stage ? ` ${stage.name}` : ''}`,
      );
      const group: StageOf<'train'>[] = [];
      for (let j = index; j < spec.stages.length && spec.stages[j]!.stage === 'train'; j++)
        group.push(spec.stages[j] as StageOf<'train'>);
      if (group.length > 1 && parallel > 1) {
        await runTrainStagesInParallel(ctx, group, parallel);
        index += group.length - 1;
      } else {
        await runStage(ctx, stage);
      }
    }
  } finally {
    await ctx.pool.destroy();
  }
  ctx.result.seconds = (Date.now() - started) / 1000;
  writeFileSync(
    join(out, 'summary.json'),
    `${JSON.stringify({ ...ctx.result, models: ctx.result.models.map(({ genome, ...m }) => ({ ...m, genome: genome.name })) }, null, 2)}\n`,
  );
  return ctx.result;
}
