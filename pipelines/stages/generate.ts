import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtinSpecPath,
  generateSyntheticDataset,
  loadSyntheticSpec,
  planDataset,
  readManifest,
} from '../../datasets/index.ts';
import { createCountProgress } from '../countProgress.ts';
import { needManifest } from './context.ts';
import type { StageRunner } from './context.ts';

/** Generates the synthetic dataset named by the spec (cached per video), or reads the given manifest. */
export const runGenerateStage: StageRunner<'generate'> = async (ctx, stage) => {
  if (!ctx.spec.dataset.spec) {
    needManifest(ctx, 'generate');
    return;
  }
  const specFile = existsSync(ctx.spec.dataset.spec)
    ? ctx.spec.dataset.spec
    : builtinSpecPath(ctx.spec.dataset.spec);
  const spec = loadSyntheticSpec(specFile);
  const seed = ctx.spec.dataset.seed;
  const bar = createCountProgress({
    label: 'generate',
    unit: 'videos',
    total: planDataset(spec, seed).videos.length,
  });
  const summary = await generateSyntheticDataset(spec, {
    out: join(ctx.out, 'dataset'),
    ...(seed !== undefined ? { seed } : {}),
    onProgress: (event) => bar.tick(1, event.file),
  });
  bar.stop();
  ctx.manifestPath = summary.manifests[0]!;
  ctx.manifest = readManifest(ctx.manifestPath).manifest;
  ctx.result.manifest = ctx.manifestPath;
  ctx.log(
    `dataset: ${summary.videos} videos (${summary.generated} generated, ${summary.skipped} cached), ${summary.classes.length} classes -> ${ctx.manifestPath}`,
  );
  return;
};
