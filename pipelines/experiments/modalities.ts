/**
 * Experiment A: which inputs and which connectivity the classes need, on a set built so that each
 * stream's ceiling is known (datasets/synthetic-streams.json). Trains every model with every
 * seed (same recipe), scores it on the test split, writes the raw numbers to --json and prints
 * the table.
 *
 *   node --import tsx pipelines/experiments/modalities.ts \
 *     --dataset runs/streams/dataset/synthetic-streams.csv --seeds 1,2,3 \
 *     --models rgb=pipelines/experiments/genomes/late-fusion-rgb.json,... \
 *     --out runs/exp-modalities --json docs/results/streams-modalities.json -- --epochs 5
 *
 * Arguments after `--` go to every `assemblenet train` (the recipe); see trainRuns.ts for resume.
 */
import { parseArgs } from 'node:util';
import { parseSeeds, pct, perSeed } from './common.ts';
import { parseModels, runTrainSeeds } from './trainRuns.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string' },
    models: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'runs/exp-modalities' },
    json: { type: 'string' },
    split: { type: 'string', default: 'test' },
    workers: { type: 'string', default: '1' },
  },
});
if (!values.dataset) throw new Error('modalities: expected --dataset MANIFEST');
if (!values.models) throw new Error('modalities: expected --models name=genome.json,...');
if (!values.json) throw new Error('modalities: expected --json docs/results/NAME.json');

const runs = await runTrainSeeds({
  dataset: values.dataset,
  models: parseModels(values.models),
  seeds: parseSeeds(values.seeds!),
  out: values.out!,
  json: values.json,
  split: values.split!,
  workers: Number(values.workers),
  recipe: positionals,
  meta: () => ({
    experiment: 'modalities',
    dataset: values.dataset,
    split: values.split,
    command: `node --import tsx pipelines/experiments/modalities.ts ${process.argv.slice(2).join(' ')}`,
  }),
});

process.stdout.write(
  `| model | ${values.split} top-1 (%) | top-5 (%) | per seed (top-1) |\n| --- | --- | --- | --- |\n`,
);
for (const name of [...new Set(runs.map((r) => r.model))]) {
  const top1 = runs.filter((r) => r.model === name).map((r) => r.eval.top1 ?? Number.NaN);
  const top5 = runs.filter((r) => r.model === name).map((r) => r.eval.top5 ?? Number.NaN);
  process.stdout.write(`| ${name} | ${pct(top1)} | ${pct(top5)} | ${perSeed(top1)} |\n`);
}
