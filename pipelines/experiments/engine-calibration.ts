/**
 * How much a proxy fitness moves when only the float rounding of training changes: the same
 * genomes, proxy recipe and seed, trained once with the convolutions on XNNPACK and once on the
 * native oneDNN kernels (same math, different summation orders). Experiment B switched engines
 * mid-run; this says whether that can bias an arm (mean difference) and how large a fitness
 * difference rounding alone produces (spread), i.e. a floor for the noise of one proxy training.
 * Reads two journals, runs nothing.
 *
 *   node --import tsx pipelines/experiments/engine-calibration.ts \
 *     --reference runs/exp-search/guided-s1 --other runs/exp-calib-native/guided-s1 \
 *     --json docs/results/engine-calibration.json
 *
 * The other journal comes from `search.ts --arms guided --seeds 1 --budget 8 --population 8
 * --no-final --no-reuse` with B's proxy settings, on a checkout whose native kernels are built:
 * its 8 evaluations are seed 1's initial random genomes, trained again.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readJournal } from '../../evolution/index.ts';
import { canonicalJson } from '../../src/cache/diskCache.ts';
import { mean, pearson, sampleSd, spearman } from '../../src/util/stats.ts';
import { writeJsonAtomic } from './common.ts';

const { values } = parseArgs({
  options: {
    reference: { type: 'string' },
    other: { type: 'string' },
    json: { type: 'string' },
  },
});
if (!values.reference || !values.other || !values.json) {
  throw new Error('engine-calibration: expected --reference DIR --other DIR --json FILE');
}

/** Fitness by genome (its nodes, compared as reuse.ts compares genomes: canonical JSON). */
function fitnessByGenome(dir: string): Map<string, { index: number; fitness: number }> {
  const byGenome = new Map<string, { index: number; fitness: number }>();
  for (const record of readJournal(join(dir, 'journal.jsonl')).evaluations) {
    if (record.status !== 'ok' || record.fitness === null) continue;
    byGenome.set(canonicalJson(record.genome.nodes), {
      index: record.index,
      fitness: record.fitness,
    });
  }
  return byGenome;
}

const reference = fitnessByGenome(values.reference);
const other = fitnessByGenome(values.other);
const pairs = [...other.entries()].flatMap(([genome, b]) => {
  const a = reference.get(genome);
  return a
    ? [{ index: b.index, reference: a.fitness, other: b.fitness, diff: b.fitness - a.fitness }]
    : [];
});
if (pairs.length < 2)
  throw new Error(`engine-calibration: expected >= 2 shared genomes, got ${pairs.length}`);
const diffs = pairs.map((p) => p.diff);
const summary = {
  reference: values.reference,
  other: values.other,
  genomes: pairs.length,
  pairs,
  mean_diff: mean(diffs),
  sd_diff: sampleSd(diffs),
  mean_abs_diff: mean(diffs.map(Math.abs)),
  max_abs_diff: Math.max(...diffs.map(Math.abs)),
  // a one-training noise sd implied by the paired differences (each side one training)
  implied_single_training_sd: sampleSd(diffs) / Math.SQRT2,
  pearson: pearson(
    pairs.map((p) => p.reference),
    pairs.map((p) => p.other),
  ),
  spearman: spearman(
    pairs.map((p) => p.reference),
    pairs.map((p) => p.other),
  ),
};
writeJsonAtomic(values.json, summary);
const pct = (v: number) => (100 * v).toFixed(1);
process.stdout.write(
  `${pairs.map((p) => `  #${p.index}: ${pct(p.reference)} -> ${pct(p.other)} (${p.diff >= 0 ? '+' : ''}${pct(p.diff)})`).join('\n')}\n` +
    `engine calibration: ${pairs.length} genomes, difference ${pct(summary.mean_diff)} ± ${pct(summary.sd_diff)} points (mean |diff| ${pct(summary.mean_abs_diff)}, max ${pct(summary.max_abs_diff)}), rank correlation ${summary.spearman.toFixed(2)}\n`,
);
