/**
 * Experiment B judged by the top K genomes of each search (searchTop.ts says why): writes each
 * search's K best distinct genomes, trains each with the full recipe (training seed 1, as B's
 * finals; a search's best is read from its final when that trained the same genome), and writes
 * the scores and the per-arm summary to --json.
 *
 *   node --import tsx pipelines/experiments/search-top.ts --dataset runs/streams/dataset/synthetic-streams.csv \
 *     --out runs/exp-search --arms guided,random,plain --seeds 1,2,3 --top 3 \
 *     --runs runs/exp-search-top --json docs/results/search-top3.json
 *
 * Trainings resume like every experiment here (trainRuns.ts). Two processes can share the work
 * by taking different --arms or --seeds with the same --runs; a last run with all of them trains
 * nothing new and writes the complete JSON.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readJournal } from '../../evolution/index.ts';
import { genomeToJSON } from '../../src/index.ts';
import type { EvalSummary } from '../jobs/summarize.ts';
import { parseList, parseSeeds, readJson, readJsonIfExists, writeJsonAtomic } from './common.ts';
import { summarizeTop, topEvaluations, type TopScore } from './searchTop.ts';
import { runTrainSeeds, type ModelEntry } from './trainRuns.ts';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    out: { type: 'string', default: 'runs/exp-search' },
    arms: { type: 'string', default: 'guided,random,plain' },
    seeds: { type: 'string', default: '1,2,3' },
    top: { type: 'string', default: '3' },
    runs: { type: 'string', default: 'runs/exp-search-top' },
    json: { type: 'string' },
  },
});
if (!values.dataset) throw new Error('search-top: expected --dataset MANIFEST');
if (!values.json) throw new Error('search-top: expected --json docs/results/NAME.json');
const k = Number(values.top);
if (!Number.isInteger(k) || k < 1)
  throw new Error(`search-top: expected --top K >= 1, got "${values.top}"`);
const arms = parseList(values.arms!, '--arms');
const seeds = parseSeeds(values.seeds!);
const TRAINING_SEED = 1; // the seed of B's final trainings

interface Entry extends Omit<TopScore, 'test'> {
  name: string;
  index: number;
  genome: string;
  /** Where the test score comes from: the search's final training, or a training here. */
  source: 'final' | 'trained';
}

const entries: Entry[] = [];
for (const arm of arms) {
  for (const seed of seeds) {
    const search = join(values.out!, `${arm}-s${seed}`);
    const journal = join(search, 'journal.jsonl');
    if (!existsSync(journal)) throw new Error(`search-top: no journal at ${journal}`);
    const top = topEvaluations(readJournal(journal).evaluations, k);
    if (top.length < k)
      throw new Error(
        `search-top: ${journal} has ${top.length} distinct finished genomes, expected ${k}`,
      );
    // The final trained one of these genomes (normally rank 1): its score is read, not retrained.
    const finalNodes = existsSync(join(search, 'final', 'run.json'))
      ? JSON.stringify(readJson<{ nodes: unknown }>(join(search, 'final', 'genome.json')).nodes)
      : undefined;
    top.forEach((record, i) => {
      const name = `${arm}-s${seed}-r${i + 1}`;
      const genome = join(values.runs!, 'genomes', `${name}.json`);
      const json = genomeToJSON({ ...record.genome, name });
      writeJsonAtomic(genome, json);
      const sameAsFinal = JSON.stringify(json.nodes) === finalNodes;
      entries.push({
        name,
        arm,
        seed,
        rank: i + 1,
        index: record.index,
        val: record.fitness!,
        genome,
        source: sameAsFinal ? 'final' : 'trained',
      });
    });
  }
}

const toTrain: ModelEntry[] = entries
  .filter((e) => e.source === 'trained')
  .map((e) => ({ name: e.name, genome: e.genome }));
await runTrainSeeds({
  dataset: values.dataset,
  models: toTrain,
  seeds: [TRAINING_SEED],
  out: values.runs!,
  json: join(values.runs!, `trainings-${arms.join('_')}-${seeds.join('_')}.json`),
  split: 'test',
  workers: 1,
  recipe: [],
  meta: () => ({ experiment: 'search-top trainings' }),
});

/** Test top-1 from the finished run's record (B's final or a training here); none while running. */
const testOf = (e: Entry): number | undefined =>
  readJsonIfExists<{ eval: EvalSummary }>(
    e.source === 'final'
      ? join(values.out!, `${e.arm}-s${e.seed}`, 'final', 'run.json')
      : join(values.runs!, `${e.name}-s${TRAINING_SEED}`, 'run.json'),
  )?.eval.top1;
const scores = entries.flatMap((e) => {
  const test = testOf(e);
  return test === undefined ? [] : [{ ...e, test }];
});
const summary = summarizeTop(scores, arms, k);
writeJsonAtomic(values.json, {
  experiment: 'search-top',
  command: `node --import tsx pipelines/experiments/search-top.ts ${process.argv.slice(2).join(' ')}`,
  top: k,
  trainingSeed: TRAINING_SEED,
  scores,
  summary,
});

const fmt = (p: { mean: number; sd: number; values: number[] }, digits = 1) =>
  p.values.length
    ? `${p.mean.toFixed(digits)} ± ${p.sd.toFixed(digits)} (${p.values.map((v) => v.toFixed(digits)).join(', ')})`
    : '-';
process.stdout.write(
  `| arm | mean test top-1 of each search's top ${k} (%) | test top-1 of the best (%) |\n| --- | --- | --- |\n`,
);
for (const arm of summary.arms)
  process.stdout.write(`| ${arm.arm} | ${fmt(arm.topMean)} | ${fmt(arm.best)} |\n`);
process.stdout.write(`\n| comparison | top-${k} mean (points) |\n| --- | --- |\n`);
for (const d of summary.differences)
  process.stdout.write(`| ${d.a} − ${d.b} | ${fmt(d.topMean)} |\n`);
process.stdout.write(`\n${scores.length} of ${entries.length} genomes scored -> ${values.json}\n`);
