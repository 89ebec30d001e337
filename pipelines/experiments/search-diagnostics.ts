/**
 * Diagnostics of experiment B's searches, read from their journals (runs nothing): how far the
 * learned connection weights moved from their start by the end of a proxy training, what share
 * of inputs the guided rule drops at the journal's prune threshold, and how children score
 * against their parents, per search and pooled per arm (evolution/journalStats.ts).
 *
 *   node --import tsx pipelines/experiments/search-diagnostics.ts --out runs/exp-search \
 *     --arms guided,random,plain,guided+inherit,plain+inherit --seeds 1,2,3 \
 *     --json docs/results/search-diagnostics.json
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  childStats,
  connectionWeightStats,
  readJournal,
  type EvaluationRecord,
} from '../../evolution/index.ts';
import { parseList, parseSeeds, writeJsonAtomic } from './common.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/exp-search' },
    arms: { type: 'string', default: 'guided,random,plain,guided+inherit,plain+inherit' },
    seeds: { type: 'string', default: '1,2,3' },
    json: { type: 'string' },
  },
});
if (!values.json) throw new Error('search-diagnostics: expected --json docs/results/NAME.json');
const arms = parseList(values.arms!, '--arms');
const seeds = parseSeeds(values.seeds!);

const searches: {
  arm: string;
  seed: number;
  evaluations: number;
  pruneThreshold: number;
  weights: ReturnType<typeof connectionWeightStats>;
  children: ReturnType<typeof childStats>;
}[] = [];
const pooled = new Map<string, { threshold: number; records: EvaluationRecord[][] }>();
for (const arm of arms) {
  for (const seed of seeds) {
    const journal = join(values.out!, `${arm}-s${seed}`, 'journal.jsonl');
    if (!existsSync(journal)) continue;
    const { header, evaluations } = readJournal(journal);
    if (!header || evaluations.length === 0) continue;
    const threshold = Number(header.settings.pruneThreshold);
    searches.push({
      arm,
      seed,
      evaluations: evaluations.length,
      pruneThreshold: threshold,
      weights: connectionWeightStats(evaluations, threshold),
      children: childStats(evaluations),
    });
    const entry = pooled.get(arm) ?? { threshold, records: [] };
    entry.records.push(evaluations);
    pooled.set(arm, entry);
  }
}
// Children are compared within their own search; weights pool every trained evaluation.
const perArm = [...pooled].map(([arm, { threshold, records }]) => {
  const deltas = records.map((r) => childStats(r));
  const children = deltas.reduce((n, d) => n + d.children, 0);
  return {
    arm,
    searches: records.length,
    weights: connectionWeightStats(records.flat(), threshold),
    children,
    meanDelta: children
      ? deltas.reduce((s, d) => s + (d.children ? d.meanDelta * d.children : 0), 0) / children
      : Number.NaN,
    improvedShare: children
      ? deltas.reduce((s, d) => s + (d.children ? d.improvedShare * d.children : 0), 0) / children
      : Number.NaN,
  };
});

writeJsonAtomic(values.json, {
  experiment: 'search-diagnostics',
  command: `node --import tsx pipelines/experiments/search-diagnostics.ts ${process.argv.slice(2).join(' ')}`,
  writtenAt: new Date().toISOString(),
  perArm,
  searches,
});

const f = (x: number, digits = 3) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
process.stdout.write(
  '| arm | searches | trained evaluations | weight quantiles (min 5 25 50 75 95 max) | mean abs(w - 0.5) | spread per block | dropped by the guided rule | children | child - parent (points) | children above parent |\n|' +
    ' --- |'.repeat(10) +
    '\n',
);
for (const row of perArm) {
  process.stdout.write(
    `| ${row.arm} | ${row.searches} | ${row.weights.evaluations} | ${row.weights.quantiles.map((q) => q.toFixed(2)).join(' ')} | ${f(row.weights.meanDistanceFromStart)} | ${f(row.weights.meanSpreadPerBlock)} | ${f(100 * row.weights.droppedShare, 0)}% | ${row.children} | ${f(100 * row.meanDelta, 1)} | ${f(100 * row.improvedShare, 0)}% |\n`,
  );
}
