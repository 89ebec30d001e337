/**
 * The evolution ablation of the README: guided vs plain evolution vs random search, same budget,
 * several seeds; prints mean and spread of the best validation fitness per strategy.
 *
 *   node --import tsx pipelines/scripts/ablation.ts --dataset runs/demo/dataset/synthetic-motion.csv \
 *     [--budget 4] [--seeds 1,2,3] [--out runs/ablation] [--cache-dir DIR] \
 *     [--size 64] [--epochs 1] [--lr 0.05] [--shift 0] [--flow farneback] [--weight-decay 5e-4]
 *     (proxy training of each candidate)
 *     [--inherit-weights] [--strategies guided,plain,random]
 *
 * Each search is an ordinary `assemblenet evolve` run (journal, resume) in OUT/<strategy>-<seed>.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { defaultCacheDir, selectBackend } from '../../src/index.ts';
import { DEFAULT_SEARCH_SETTINGS, readSearchSpace, STRATEGIES } from '../../evolution/index.ts';
import { PROXY_DEFAULTS } from '../jobs/evolve.ts';
import { runEvolveJob } from '../jobs/evolve.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import { existsSync } from 'node:fs';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    space: { type: 'string', default: 'evolution/spaces/two-stream-small.json' },
    budget: { type: 'string', default: '4' },
    population: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'runs/ablation' },
    'cache-dir': { type: 'string' },
    workers: { type: 'string', default: '2' },
    size: { type: 'string', default: '64' },
    epochs: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.05' },
    shift: { type: 'string', default: '0' },
    flow: { type: 'string', default: 'farneback' },
    'weight-decay': { type: 'string', default: '5e-4' },
    // children start from their parent's trained weights (evolution strategies only)
    'inherit-weights': { type: 'boolean', default: false },
    strategies: { type: 'string', default: STRATEGIES.join(',') },
  },
});
if (!values.dataset) throw new Error('ablation: expected --dataset MANIFEST');
await selectBackend('wasm');
process.env.ASSEMBLENET_BACKEND = 'wasm';
const seeds = values.seeds!.split(',').map(Number);
const strategies = values.strategies!.split(',').map((name) => {
  const strategy = STRATEGIES.find((known) => known === name);
  if (!strategy)
    throw new Error(`ablation: expected --strategies from ${STRATEGIES.join(',')}, got "${name}"`);
  return strategy;
});
const config = parseRunConfig({
  ...PROXY_DEFAULTS,
  frames: 8,
  size: Number(values.size),
  trainClips: 1,
  testClips: 1,
  width: 0.25,
  batch: 8,
  lr: Number(values.lr),
  epochs: Number(values.epochs),
  shift: Number(values.shift),
  flow: values.flow,
  weightDecay: Number(values['weight-decay']),
});
const rows: {
  strategy: string;
  seed: number;
  best: number;
  mean: number;
  later: number;
  failed: number;
  minutes: number;
}[] = [];
for (const strategy of strategies) {
  for (const seed of seeds) {
    const out = join(values.out!, `${strategy}-${seed}`);
    const started = Date.now();
    const result = await runEvolveJob({
      space: readSearchSpace(values.space!),
      manifest: values.dataset,
      config: { ...config, seed },
      settings: {
        ...DEFAULT_SEARCH_SETTINGS,
        populationSize: Number(values.population),
        strategy,
        seed,
        budget: Number(values.budget),
        inheritWeights: values['inherit-weights'] === true,
      },
      out,
      workers: Number(values.workers),
      cacheDir: values['cache-dir'] ?? defaultCacheDir(),
      resume: existsSync(join(out, 'journal.jsonl')),
      progress: false,
    });
    const ok = result.evaluations.filter((r) => r.status === 'ok').map((r) => r.fitness!);
    // After the initial population (the same random genomes for a seed, whatever the strategy):
    // where the strategies differ.
    const later = result.evaluations
      .filter((r) => r.status === 'ok' && r.index >= Number(values.population))
      .map((r) => r.fitness!);
    rows.push({
      strategy,
      seed,
      best: result.best!.fitness!,
      mean: ok.reduce((a, b) => a + b, 0) / ok.length,
      later: later.length ? later.reduce((a, b) => a + b, 0) / later.length : Number.NaN,
      failed: result.evaluations.length - ok.length,
      minutes: (Date.now() - started) / 60000,
    });
    process.stderr.write(
      `ablation: ${strategy} seed ${seed}: best ${result.best!.fitness!.toFixed(3)}\n`,
    );
  }
}
const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${(100 * mean).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
};
process.stdout.write(
  '| strategy | best val top-1 (%) | mean val top-1 after the initial population (%) | mean candidate val top-1 (%) | per seed (best) | per seed (after initial) |\n' +
    '| --- | --- | --- | --- | --- | --- |\n',
);
for (const strategy of strategies) {
  const mine = rows.filter((r) => r.strategy === strategy);
  const perSeed = (xs: number[]) => xs.map((x) => (100 * x).toFixed(1)).join(', ');
  process.stdout.write(
    `| ${strategy} | ${stats(mine.map((r) => r.best))} | ${stats(mine.map((r) => r.later))} | ${stats(mine.map((r) => r.mean))} | ${perSeed(mine.map((r) => r.best))} | ${perSeed(mine.map((r) => r.later))} |\n`,
  );
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
