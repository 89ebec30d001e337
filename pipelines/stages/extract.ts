import type { Genome } from '../../src/index.ts';
import { templateFor } from '../../src/networks/runConfig.ts';
import { prepareClips } from '../jobs/train.ts';
import { createCountProgress } from '../countProgress.ts';
import { needManifest, settingsFor } from './context.ts';
import type { StageRunner } from './context.ts';

/** Decodes every clip the later stages read and computes its flow into the cache. */
export const runExtractStage: StageRunner<'extract'> = async (ctx, stage) => {
  const { manifest } = needManifest(ctx, 'extract');
  const config = settingsFor(ctx);
  const streams: Genome = {
    name: 'all-streams',
    modulesPerLevel: [1, 1, 1, 1],
    fusion: 'sigmoid',
    nodes: [
      { stem: 'rgb', temporal: 1 },
      { stem: 'flow', temporal: 1 },
      { level: 3, inputs: [0, 1], filters: 1, dilation: 1, stride: 1 },
    ],
  };
  const bar = createCountProgress({
    label: 'extract',
    unit: 'clips',
    total: manifest.items.length * (config.testClips + config.trainClips),
  });
  let failures: Map<string, string>;
  try {
    failures = await prepareClips(
      manifest.items,
      templateFor(streams, config, ctx.cacheDir),
      config,
      ctx.pool,
      undefined,
      (id) => bar.tick(1, id),
    );
  } finally {
    bar.stop();
  }
  ctx.log(
    `extract: ${manifest.items.length - failures.size} videos ready, ${failures.size} failed${failures.size ? `: ${[...failures.keys()].join(', ')}` : ''}`,
  );
  return;
};
