/**
 * The best evolved genome of experiment B, for table A's evolved row: the evaluation with the
 * highest validation fitness over every search given (ties: the first in arm, seed, index
 * order). The rule is fixed before any evolved genome is scored on the test split; the test
 * numbers come from modalities.ts afterwards. Refuses while a search is short of its budget,
 * unless --allow-unfinished.
 *
 *   node --import tsx pipelines/experiments/best-evolved.ts --out runs/exp-search \
 *     --arms guided,random,plain,guided+inherit,plain+inherit --seeds 1,2,3 --budget 40 \
 *     --genome pipelines/experiments/genomes/best-evolved.json
 *   node --import tsx pipelines/experiments/modalities.ts --dataset runs/streams/dataset/synthetic-streams.csv \
 *     --seeds 1,2,3 --out runs/exp-modalities-default --json docs/results/streams-modalities-default.json \
 *     --models best-evolved=pipelines/experiments/genomes/best-evolved.json
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readJournal, type EvaluationRecord } from '../../evolution/index.ts';
import { genomeToJSON } from '../../src/index.ts';
import { parseList, parseSeeds, writeJsonAtomic } from './common.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/exp-search' },
    arms: { type: 'string', default: 'guided,random,plain,guided+inherit,plain+inherit' },
    seeds: { type: 'string', default: '1,2,3' },
    budget: { type: 'string', default: '40' },
    genome: { type: 'string' },
    'allow-unfinished': { type: 'boolean', default: false },
  },
});
if (!values.genome) throw new Error('best-evolved: expected --genome FILE.json to write');
const budget = Number(values.budget);

let best: { arm: string; seed: number; record: EvaluationRecord } | undefined;
const unfinished: string[] = [];
for (const arm of parseList(values.arms!, '--arms')) {
  for (const seed of parseSeeds(values.seeds!)) {
    const journal = join(values.out!, `${arm}-s${seed}`, 'journal.jsonl');
    const evaluations = existsSync(journal) ? readJournal(journal).evaluations : [];
    if (evaluations.length < budget) unfinished.push(`${arm} seed ${seed} (${evaluations.length})`);
    for (const record of evaluations.sort((a, b) => a.index - b.index)) {
      if (record.status !== 'ok' || record.fitness === null) continue;
      if (!best || record.fitness > best.record.fitness!) best = { arm, seed, record };
    }
  }
}
if (unfinished.length && !values['allow-unfinished'])
  throw new Error(
    `best-evolved: expected every search at ${budget} evaluations, got ${unfinished.join(', ')} (--allow-unfinished to pick anyway)`,
  );
if (!best)
  throw new Error(`best-evolved: expected finished evaluations under ${values.out}, got none`);

const { arm, seed, record } = best;
const name = `evolved-${arm}-s${seed}-c${record.index}`;
writeJsonAtomic(values.genome, genomeToJSON({ ...record.genome, name }));
process.stdout.write(
  `${name}: val top-1 ${(100 * record.fitness!).toFixed(1)}% (${unfinished.length ? `unfinished searches: ${unfinished.join(', ')}` : 'every search finished'}) -> ${values.genome}\n`,
);
