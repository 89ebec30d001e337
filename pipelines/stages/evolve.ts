import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultWorkerCount } from '../../src/index.ts';
import { DEFAULT_SEARCH_SETTINGS, readSearchSpace } from '../../evolution/index.ts';
import { PROXY_DEFAULTS, runEvolveJob } from '../jobs/evolve.ts';
import { needManifest, resolveProjectPath, settingsFor } from './context.ts';
import type { StageRunner } from './context.ts';

/** Connectivity evolution; its best genome is what `"genome": "@evolve"` trains later. */
export const runEvolveStage: StageRunner<'evolve'> = async (ctx, stage) => {
  const { path } = needManifest(ctx, 'evolve');
  const out = join(ctx.out, 'evolve');
  const config = settingsFor(ctx, stage.settings, PROXY_DEFAULTS);
  const result = await runEvolveJob({
    space: readSearchSpace(resolveProjectPath(stage.space)),
    manifest: path,
    ...(ctx.spec.dataset.classes ? { classes: resolveProjectPath(ctx.spec.dataset.classes) } : {}),
    config,
    settings: {
      strategy: stage.strategy,
      seed: config.seed,
      budget: stage.budget,
      populationSize: stage.population,
      tournamentSize: stage.tournament,
      selection: DEFAULT_SEARCH_SETTINGS.selection,
      batchSize: stage.batchSize,
      pruneThreshold: stage.pruneThreshold,
      structuralRate: stage.structuralRate,
      ...(stage.inheritWeights ? { inheritWeights: true } : {}),
      ...(stage.proxySeeds && stage.proxySeeds > 1 ? { proxySeeds: stage.proxySeeds } : {}),
    },
    out,
    workers: ctx.workers ?? defaultWorkerCount(),
    cacheDir: ctx.cacheDir,
    resume: existsSync(join(out, 'journal.jsonl')),
    ...(ctx.queue ? { queue: ctx.queue } : {}),
    log: ctx.log,
  });
  ctx.evolvedGenome = result.bestGenome;
  ctx.result.evolve = {
    best: result.best!.index,
    fitness: result.best!.fitness!,
    evaluations: result.evaluations.length,
    bestFile: result.bestFile,
  };
  ctx.log(
    `evolve: best candidate ${result.best!.index} (val fitness ${result.best!.fitness!.toFixed(3)}) of ${result.evaluations.length}`,
  );
  return;
};
