import { join, resolve } from 'node:path';
import { InputError } from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../src/networks/checkpointNetwork.ts';
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
  const videos = manifest.items
    .filter((item) => item.split === stage.split)
    .map((item) => resolve(item.path));
  const queue = ctx.queue ? await import('../queue/index.ts') : undefined;
  const coordinator = queue && new queue.Coordinator({ url: ctx.queue!, log: ctx.log });
  try {
    const result = await runClassifyJob({
      model,
      videos,
      out,
      ...(queue && coordinator
        ? {
            classifier: queue.queueClassifier(coordinator, {
              videos,
              checkpoint: model.checkpointPath,
              cacheDir: resolve(ctx.cacheDir),
              out,
            }),
          }
        : { pool: ctx.pool }),
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
    await coordinator?.close();
  }
  return;
};
