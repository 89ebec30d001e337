import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseLatency } from '../../src/index.ts';
import { type DistillJobResult, formatDistillTable, runDistillJob } from '../jobs/distill.ts';
import { RUN_CONFIG_DEFAULTS } from '../../src/networks/runConfig.ts';
import { needManifest, resolveProjectPath } from './context.ts';
import type { StageRunner } from './context.ts';

/** Distils an earlier train stage's checkpoint (or a checkpoint folder) into a student; a finished stage with the same parameters is read back. */
export const runDistillStage: StageRunner<'distill'> = async (ctx, stage) => {
  const { manifest } = needManifest(ctx, 'distill');
  const trained = ctx.result.models.find((m) => m.name === stage.teacher);
  const teacher = trained ? trained.checkpoint : resolveProjectPath(stage.teacher);
  const out = join(ctx.out, `distill-${stage.name}`);
  const targetMs = parseLatency(stage.latencyTarget);
  const seed = stage.settings.seed ?? ctx.spec.settings.seed ?? RUN_CONFIG_DEFAULTS.seed;
  const params = {
    teacher: resolve(teacher),
    targetMs,
    budget: stage.budget,
    rgbOnly: stage.rgbOnly,
    space: stage.space ?? null,
    searchEpochs: stage.searchEpochs,
    settings: stage.settings,
    seed,
  };
  const doneFile = join(out, 'stage.json');
  let result: DistillJobResult;
  // Finished with the same parameters: the table is read back (the search is not re-run).
  if (
    existsSync(doneFile) &&
    existsSync(join(out, 'distill.json')) &&
    JSON.stringify(JSON.parse(readFileSync(doneFile, 'utf8'))) === JSON.stringify(params)
  ) {
    result = JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8')) as DistillJobResult;
    ctx.log(
      `distill ${stage.name}: done earlier with the same parameters, read ${join(out, 'distill.json')}`,
    );
  } else {
    ctx.log(
      `distill ${stage.name}: teacher ${stage.teacher}, budget ${stage.budget}, target ${targetMs} ms${stage.rgbOnly ? ', RGB-only students' : ''}`,
    );
    result = await runDistillJob({
      teacher,
      manifest,
      out,
      cacheDir: ctx.cacheDir,
      pool: ctx.pool,
      budget: stage.budget,
      latencyTarget: targetMs,
      rgbOnly: stage.rgbOnly,
      epochs: stage.searchEpochs,
      seed,
      settings: stage.settings,
      ...(stage.space ? { space: resolveProjectPath(stage.space) } : {}),
      log: ctx.log,
    });
    writeFileSync(doneFile, `${JSON.stringify(params, null, 2)}\n`);
  }
  ctx.log(`distill ${stage.name}: ${formatDistillTable(result).split('\n').at(-1)}`);
  ctx.result.distill.push({
    name: stage.name,
    teacher: stage.teacher,
    out,
    checkpoint: result.chosen.checkpoint,
    targetMs: result.target,
    meetsTarget: result.chosen.meetsTarget,
    table: result.table,
    seconds: result.seconds,
  });
  return;
};
