/**
 * Experiment C: multi-label (Charades-style) recognition against the mAP a random ranking gets
 * on the same test videos. Trains every model with every seed (see trainRuns.ts for resume),
 * scores Charades mAP on the test split, and computes the random-ranking mAP of those videos
 * (mean over --shuffles random score matrices, through the same metric code as `eval`).
 *
 *   node --import tsx pipelines/experiments/charades.ts \
 *     --dataset runs/charades32/dataset/synthetic-charades-32_train.csv --seeds 1,2,3 \
 *     --models late-fusion=evolution/two-stream-late-fusion.json \
 *     --out runs/exp-charades --json docs/results/charades-map.json -- --epochs 8
 */
import { parseArgs } from 'node:util';
import { readManifest } from '../../datasets/index.ts';
import { Rng } from '../../src/index.ts';
import { summarizeScores } from '../jobs/summarize.ts';
import { mean, parseSeeds, pct, perSeed, sd } from './common.ts';
import { parseModels, runTrainSeeds } from './trainRuns.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string' },
    classes: { type: 'string' },
    models: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'runs/exp-charades' },
    json: { type: 'string' },
    split: { type: 'string', default: 'test' },
    workers: { type: 'string', default: '1' },
    shuffles: { type: 'string', default: '2000' },
  },
});
if (!values.dataset) throw new Error('charades: expected --dataset MANIFEST');
if (!values.models) throw new Error('charades: expected --models name=genome.json,...');
if (!values.json) throw new Error('charades: expected --json docs/results/NAME.json');

/** mAP of random rankings of the split's videos: mean and sd over `shuffles` draws. */
function randomRankingMap(shuffles: number) {
  const { manifest } = readManifest(
    values.dataset!,
    values.classes ? { classes: values.classes } : {},
  );
  const videos = manifest.items.filter((item) => item.split === values.split);
  if (videos.length === 0)
    throw new Error(`charades: expected videos in the ${values.split} split of ${values.dataset}`);
  const rng = Rng.fromSeed('random-ranking');
  const maps: number[] = [];
  for (let s = 0; s < shuffles; s++) {
    const scored = videos.map((item) => ({
      id: item.id,
      labels: item.labels,
      scores: manifest.classes.map(() => rng.next()),
    }));
    maps.push(summarizeScores(manifest.classes.length, true, scored).map!);
  }
  return { mean: mean(maps), sd: sd(maps), shuffles, videos: videos.length };
}

const randomRanking = randomRankingMap(Number(values.shuffles));
const runs = await runTrainSeeds({
  dataset: values.dataset,
  ...(values.classes ? { classes: values.classes } : {}),
  models: parseModels(values.models),
  seeds: parseSeeds(values.seeds!),
  out: values.out!,
  json: values.json,
  split: values.split!,
  workers: Number(values.workers),
  recipe: positionals,
  meta: () => ({
    experiment: 'charades-map',
    dataset: values.dataset,
    split: values.split,
    randomRanking,
    command: `node --import tsx pipelines/experiments/charades.ts ${process.argv.slice(2).join(' ')}`,
  }),
});

process.stdout.write(
  `random ranking of the ${randomRanking.videos} ${values.split} videos: mAP ${(100 * randomRanking.mean).toFixed(1)}% (sd ${(100 * randomRanking.sd).toFixed(1)} over ${randomRanking.shuffles} shuffles)\n`,
);
process.stdout.write(
  `| model | ${values.split} mAP (%) | per seed | above random ranking (points) | in seed sds |\n| --- | --- | --- | --- | --- |\n`,
);
for (const name of [...new Set(runs.map((r) => r.model))]) {
  const maps = runs.filter((r) => r.model === name).map((r) => r.eval.map ?? Number.NaN);
  const gap = mean(maps) - randomRanking.mean;
  process.stdout.write(
    `| ${name} | ${pct(maps)} | ${perSeed(maps)} | ${(100 * gap).toFixed(1)} | ${sd(maps) > 0 ? (gap / sd(maps)).toFixed(1) : '-'} |\n`,
  );
}
