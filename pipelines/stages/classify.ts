import { join } from 'node:path';
import { InputError } from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../jobs/checkpointNetwork.ts';
import { runClassifyJob } from '../jobs/classify.ts';
import { needManifest } from './context.ts';
import type { StageRunner } from './context.ts';

/** Classifies a split's videos with a model trained by an earlier stage. */
export const runClassifyStage: StageRunner<'classify'> = async (ctx, stage) => {
  const { manifest } = needManifest(ctx, 'classify');
  const trained = ctx.result.models.find((m) => m.name === stage.model);
  if (!trained) throw new InputError(`pipeline: classify: no trained model "${stage.model}"`);
  const model = await loadNetworkFromCheckpoint(trained.checkpoint);
  const out = join(ctx.out, `classify-${stage.model}.jsonl`);
  try {
    const result = await runClassifyJob({
      model,
      videos: manifest.items.filter((item) => item.split === stage.split).map((item) => item.path),
      out,
      pool: ctx.pool,
      cacheDir: ctx.cacheDir,
    });
    ctx.result.classify.push({
      model: stage.model,
      out,
      ok: result.ok,
      failed: result.failed,
      skipped: result.skipped,
    });
    ctx.log(
      `classify ${stage.model}: ${result.ok} ok, ${result.skipped} already done, ${result.failed} failed -> ${out}`,
    );
  } finally {
    model.network.dispose();
  }
  return;
};
