/**
 * Which factors of a synthetic-streams class a model gets right: hue (warm/cool), motion kind
 * (slides/shakes) and timing (moves in the first or the second half), from `classify` JSONL rows
 * against the set's manifest, per run. Chance: 50% for each factor, 12.5% for the class.
 *
 *   node --import tsx pipelines/experiments/factors.ts --manifest runs/streams/dataset/synthetic-streams.csv \
 *     --json docs/results/streams-factors.json runs/confusion/lf-s1.jsonl runs/confusion/lf-s2.jsonl ...
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from '../../datasets/manifests/read.ts';
import { writeJsonAtomic } from './common.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { manifest: { type: 'string' }, json: { type: 'string' } },
});
if (!values.manifest || positionals.length === 0)
  throw new Error('factors: expected --manifest CSV and classify JSONL files');

interface Factors {
  hue: string;
  motion: string;
  timing: string;
}
/** "warm waits then slides" -> {warm, slide, second half}. */
function factorsOf(label: string): Factors {
  const [hue = ''] = label.split(' ');
  return {
    hue,
    motion: label.includes('slide') ? 'slide' : 'shake',
    timing: label.includes('then stops') ? 'first half' : 'second half',
  };
}

const { manifest } = readManifest(values.manifest, { missing: 'unchecked' });
const truth = new Map(manifest.items.map((item) => [item.id, manifest.classes[item.labels[0]!]!]));
const runs = positionals.map((file) => {
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const hits = { hue: 0, motion: 0, timing: 0, class: 0 };
  for (const row of rows as { id: string; top: { label: string }[] }[]) {
    const expected = truth.get(row.id);
    if (!expected) throw new Error(`factors: ${row.id} (${file}) is not in ${values.manifest}`);
    const want = factorsOf(expected);
    const got = factorsOf(row.top[0]!.label);
    hits.hue += Number(want.hue === got.hue);
    hits.motion += Number(want.motion === got.motion);
    hits.timing += Number(want.timing === got.timing);
    hits.class += Number(expected === row.top[0]!.label);
  }
  const rate = (n: number) => n / rows.length;
  return {
    file: basename(file),
    videos: rows.length,
    hue: rate(hits.hue),
    motion: rate(hits.motion),
    timing: rate(hits.timing),
    class: rate(hits.class),
  };
});
const pct = (x: number) => (100 * x).toFixed(1);
process.stdout.write(
  '| run | videos | hue | motion kind | timing | class |\n| --- | --- | --- | --- | --- | --- |\n',
);
for (const r of runs)
  process.stdout.write(
    `| ${r.file} | ${r.videos} | ${pct(r.hue)} | ${pct(r.motion)} | ${pct(r.timing)} | ${pct(r.class)} |\n`,
  );
if (values.json)
  writeJsonAtomic(values.json, {
    command: `node --import tsx pipelines/experiments/factors.ts ${process.argv.slice(2).join(' ')}`,
    runs,
  });
