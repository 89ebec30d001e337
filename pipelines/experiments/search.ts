/**
 * Experiment B: search efficiency. Guided evolution (prune by learned connection weights) vs
 * plain evolution (random pruning) vs random search, the same budget of evaluations and the same
 * proxy training, several search seeds, weight inheritance off and on (random search has no
 * parents, so it runs once per seed and serves both arms). Reports best-so-far validation
 * fitness against evaluations, and the test top-1 of each search's best genome trained with the
 * full recipe.
 *
 *   node --import tsx pipelines/experiments/search.ts \
 *     --dataset runs/streams/dataset/synthetic-streams.csv --seeds 1,2,3 --budget 40 \
 *     --out runs/exp-search --json docs/results/search-efficiency.json
 *
 * Proxy training: --proxy-per-class videos of each class from the train split (the first ones,
 * fixed), --proxy-epochs, --proxy-width, 1 clip; fitness = top-1 on the whole val split. Every
 * search is an `evolve` journal in OUT/<arm>-s<seed> (resumed on a rerun); every final training
 * is a train run with run.json (skipped once done). The JSON is rewritten after each step.
 *
 * Searches run in this order: the arms without weight inheritance first (seed by seed), then
 * those with it, so that the first comparison is complete before the second starts.
 *
 * Several processes (one per core, or one per machine on a shared file system) share the
 * searches with `--claim`: each takes the next search that no other live process holds (a lock
 * beside its folder, src/util/dirClaim.ts), runs it and its final training, and moves on; it
 * exits when every search is done or held by another. A killed process's searches are taken
 * by the next run. Each process writes its own --json; `--report-only` reads every journal,
 * commit record and final run of the given seeds and arms, runs nothing, and writes the JSON and
 * the table of all of them (the curves so far, while searches still run).
 * pipelines/experiments/search-b.sh does both. Each search folder keeps `commits.jsonl`: the
 * commit of every invocation that worked on it, with the evaluations journaled before.
 *
 * The searches of a seed start from the same random genomes (and random search makes more of
 * them): a search takes over a sibling's finished evaluation of the same genome instead of
 * training it again (pipelines/evolve/reuse.ts; the journal says `reusedFrom`; an arm that
 * inherits weights also gets the candidate's trained weights). `--no-reuse` trains every
 * candidate.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from '../../datasets/index.ts';
import {
  DEFAULT_SEARCH_SETTINGS,
  readJournal,
  readSearchSpace,
  type Strategy,
} from '../../evolution/index.ts';
import { defaultCacheDir, selectBackend } from '../../src/index.ts';
import { PROXY_DEFAULTS } from '../jobs/evolve.ts';
import { runEvolveJob } from '../jobs/evolve.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import type { EvalSummary } from '../jobs/summarize.ts';
import { writeFileAtomic } from '../../src/util/atomicFile.ts';
import { tryClaimDir, type DirClaim } from '../../src/util/dirClaim.ts';
import { readJsonlJournal } from '../../src/util/jsonlJournal.ts';
import { loadNativeAddon } from '../../src/engine/native/addon.ts';
import {
  gitCommit,
  lastJsonLine,
  mean,
  parseList,
  parseSeeds,
  readJson,
  readJsonIfExists,
  runCli,
  sd,
  writeJsonAtomic,
} from './common.ts';
import { renderSvg } from '../report/charts.ts';
import { searchFigureSpec } from './searchFigure.ts';
import {
  bestSoFar,
  compareSearches,
  formatComparison,
  searchPairs,
  type SearchComparison,
} from './searchSummary.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string' },
    space: { type: 'string', default: 'evolution/spaces/two-stream-small.json' },
    budget: { type: 'string', default: '40' },
    population: { type: 'string', default: '8' },
    seeds: { type: 'string', default: '1,2,3' },
    arms: {
      type: 'string',
      default: 'guided,plain,random,guided+inherit,plain+inherit',
    },
    'proxy-per-class': { type: 'string', default: '20' },
    // val videos per class for the fitness (default: the whole val split; fewer for smoke tests)
    'proxy-val-per-class': { type: 'string' },
    'proxy-epochs': { type: 'string', default: '2' },
    'proxy-width': { type: 'string', default: '0.25' },
    'proxy-seeds': { type: 'string', default: '1' },
    out: { type: 'string', default: 'runs/exp-search' },
    json: { type: 'string' },
    // the figure of the curves and proposals (searchFigure.ts), written with the table
    svg: { type: 'string' },
    'final-seed': { type: 'string', default: '1' },
    'no-final': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    claim: { type: 'boolean', default: false },
    'no-reuse': { type: 'boolean', default: false },
  },
});
if (!values.dataset) throw new Error('search: expected --dataset MANIFEST (Kinetics CSV)');
if (!values.json) throw new Error('search: expected --json docs/results/NAME.json');
const finalRecipe = positionals; // after `--`: the full training recipe of the best genomes
const seeds = parseSeeds(values.seeds!);
const arms = parseList(values.arms!, '--arms').map((arm) => {
  const [strategy, extra] = arm.split('+');
  if (!['guided', 'plain', 'random'].includes(strategy!) || (extra && extra !== 'inherit'))
    throw new Error(`--arms: expected guided|plain|random with optional +inherit, got "${arm}"`);
  if (strategy === 'random' && extra)
    throw new Error('--arms: random search has no parents to inherit from');
  return { name: arm, strategy: strategy as Strategy, inherit: extra === 'inherit' };
});
/** The searches in the order they run: without inheritance (seed by seed), then with it. */
const order = [false, true].flatMap((inherit) =>
  seeds.flatMap((seed) =>
    arms.filter((arm) => arm.inherit === inherit).map((arm) => ({ arm, seed })),
  ),
);
// A search's lock is refreshed every 10 minutes: the searches survive being paused (SIGSTOP)
// for up to 20 minutes, e.g. while a benchmark or the test suite needs the idle machine.
const CLAIM_STALE_MS = 20 * 60_000;

interface CommitRecord {
  commit: string;
  evaluationsBefore: number;
  /** Which kernels the candidate processes ran the convolutions on (absent before it was kept). */
  convs?: string;
}

/** What the candidate processes of this checkout run the convolutions on (they load the same addon). */
function convKernels(): string {
  const load = loadNativeAddon();
  return load.addon ? 'oneDNN' : `XNNPACK (native: ${load.reason})`;
}
const commitsFile = (dir: string) => join(dir, 'commits.jsonl');
const readCommits = (dir: string): CommitRecord[] =>
  readJsonlJournal<CommitRecord>(commitsFile(dir), 'search commits').entries.map(
    ({ commit, evaluationsBefore, convs }) => ({
      commit,
      evaluationsBefore,
      ...(convs ? { convs } : {}),
    }),
  );

/** The proxy manifest: the first N train videos of each class, and the val split. */
function proxyManifest(): string {
  const source = resolve(values.dataset!);
  const perClass = Number(values['proxy-per-class']);
  const valPerClass = values['proxy-val-per-class']
    ? Number(values['proxy-val-per-class'])
    : Number.POSITIVE_INFINITY;
  const suffix = Number.isFinite(valPerClass) ? `-val${valPerClass}` : '';
  const target = join(dirname(source), `${basename(source, '.csv')}-proxy${perClass}${suffix}.csv`);
  const lines = readFileSync(source, 'utf8').trimEnd().split('\n');
  const header = lines[0]!;
  const counts = new Map<string, number>();
  const kept = lines.slice(1).filter((line) => {
    const fields = line.split(',');
    const split = fields[fields.length - 1];
    if (split !== 'train' && split !== 'val') return false;
    const key = `${split}:${fields[0]}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    return n < (split === 'train' ? perClass : valPerClass);
  });
  if (lines[1]?.includes('"'))
    throw new Error(`search: expected a plain Kinetics CSV without quoted fields, got ${source}`);
  // Another search process may be reading this file: rewrite it only when it changes, atomically.
  const text = `${header}\n${kept.join('\n')}\n`;
  if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileAtomic(target, text);
  readManifest(target); // fails here, naming the file, if the subset is not a valid manifest
  return target;
}

await selectBackend('wasm');
process.env.ASSEMBLENET_BACKEND = 'wasm';
const manifest = proxyManifest();
const config = parseRunConfig({
  ...PROXY_DEFAULTS,
  trainClips: 1,
  testClips: 1,
  epochs: Number(values['proxy-epochs']),
  width: Number(values['proxy-width']),
});
const space = readSearchSpace(values.space!);

interface SearchRecord {
  arm: string;
  strategy: Strategy;
  inherit: boolean;
  seed: number;
  budget: number;
  /** Validation fitness per evaluation, by index (null: failed). */
  fitness: (number | null)[];
  bestSoFar: number[];
  best: { index: number; fitness: number; genome: string } | null;
  done: boolean;
  /** Commits the search ran at, with the evaluations journaled when each invocation began. */
  commits: CommitRecord[];
  final?: { split: string; eval: EvalSummary; steps: number; seed: number; commit: string };
}

const previous = readJsonIfExists<{ searches: SearchRecord[] }>(values.json)?.searches ?? [];
const searches: SearchRecord[] = [];
let comparison: SearchComparison | undefined;
const save = () =>
  writeJsonAtomic(values.json!, {
    experiment: 'search-efficiency',
    dataset: values.dataset,
    proxyManifest: manifest,
    space: values.space,
    proxy: config,
    proxySeeds: Number(values['proxy-seeds']),
    population: Number(values.population),
    finalRecipe,
    command: `node --import tsx pipelines/experiments/search.ts ${process.argv.slice(2).join(' ')}`,
    searches: [
      ...previous.filter((p) => !searches.some((s) => s.arm === p.arm && s.seed === p.seed)),
      ...searches,
    ].sort((a, b) => a.seed - b.seed || a.arm.localeCompare(b.arm)),
    ...(comparison ? { comparison } : {}),
  });

/** Runs (or resumes) one search and its final training; false when it ran nothing here. */
async function runSearchOf(arm: (typeof arms)[number], seed: number): Promise<boolean> {
  let claim: DirClaim | null = null;
  try {
    const out = join(values.out!, `${arm.name}-s${seed}`);
    const journal = join(out, 'journal.jsonl');
    if (values.claim && !values['report-only']) {
      const finished =
        readJournal(journal).evaluations.length >= Number(values.budget) &&
        (values['no-final'] || existsSync(join(out, 'final', 'run.json')));
      claim = finished
        ? null
        : await tryClaimDir(out, {
            staleMs: CLAIM_STALE_MS,
            onLost: (error) => {
              process.stderr.write(`search: lost the claim on ${out} (${error.message})\n`);
              process.exit(1);
            },
          });
      if (!claim) {
        if (!finished)
          process.stderr.write(`search: ${arm.name} seed ${seed} is held by another process\n`);
        return false;
      }
    }
    const before = readJournal(journal).evaluations.length;
    const record: SearchRecord = {
      arm: arm.name,
      strategy: arm.strategy,
      inherit: arm.inherit,
      seed,
      budget: Number(values.budget),
      fitness: [],
      bestSoFar: [],
      best: null,
      done: false,
      commits: [],
    };
    if (before < record.budget && !values['report-only']) {
      mkdirSync(out, { recursive: true });
      appendFileSync(
        commitsFile(out),
        `${JSON.stringify({ commit: gitCommit(), evaluationsBefore: before, at: new Date().toISOString(), convs: convKernels() })}\n`,
      );
    }
    record.commits = readCommits(out);
    searches.push(record);
    // the curve so far, read back from the journal now and then (a search takes hours)
    const refresh = () => {
      const evaluations = readJournal(journal).evaluations.sort((a, b) => a.index - b.index);
      record.fitness = evaluations.map((e) => e.fitness);
      record.bestSoFar = bestSoFar(record.fitness);
      save();
      return evaluations;
    };
    const evaluations = refresh();
    if (values['report-only']) {
      const top = evaluations.reduce<(typeof evaluations)[number] | undefined>(
        (a, e) => (e.fitness !== null && (!a || e.fitness > a.fitness!) ? e : a),
        undefined,
      );
      const bestFile = join(out, 'best-genome.json');
      record.done = evaluations.length >= record.budget && existsSync(bestFile);
      record.best = top
        ? {
            index: top.index,
            fitness: top.fitness!,
            genome: join(out, 'candidates', `candidate-${top.index}`, 'genome.json'),
          }
        : null;
      const final = readJsonIfExists<SearchRecord['final']>(join(out, 'final', 'run.json'));
      if (final) record.final = final;
      save();
      return false;
    }
    const timer = setInterval(refresh, 60_000);
    process.stderr.write(`search: ${arm.name} seed ${seed} (${before} evaluations journaled)\n`);
    const result = await runEvolveJob({
      space,
      manifest,
      config: { ...config, seed },
      settings: {
        ...DEFAULT_SEARCH_SETTINGS,
        populationSize: Number(values.population),
        strategy: arm.strategy,
        seed,
        budget: record.budget,
        ...(arm.inherit ? { inheritWeights: true } : {}),
        ...(Number(values['proxy-seeds']) > 1 ? { proxySeeds: Number(values['proxy-seeds']) } : {}),
      },
      out,
      ...(values['no-reuse']
        ? {}
        : {
            reuseFrom: arms
              .filter((other) => other.name !== arm.name)
              .map((other) => join(values.out!, `${other.name}-s${seed}`)),
          }),
      workers: 1,
      cacheDir: defaultCacheDir(),
      resume: existsSync(journal),
      progress: false,
    }).finally(() => clearInterval(timer));
    refresh();
    record.best = {
      index: result.best!.index,
      fitness: result.best!.fitness!,
      genome: result.bestFile,
    };
    record.done = true;
    save();
    if (values['no-final']) return true;
    const finalDir = join(out, 'final');
    let final = readJsonIfExists<SearchRecord['final']>(join(finalDir, 'run.json'));
    if (!final) {
      const commit = gitCommit();
      const stdout = await runCli(
        [
          'train',
          '--json',
          '--genome',
          result.bestFile,
          '--dataset',
          resolve(values.dataset!),
          '--out',
          resolve(finalDir),
          '--eval-split',
          'test',
          '--seed',
          values['final-seed']!,
          '--workers',
          '1',
          ...(existsSync(join(finalDir, 'checkpoints')) ? ['--resume'] : []),
          ...finalRecipe,
        ],
        join(finalDir, 'train.log'),
      );
      final = {
        split: 'test',
        eval: readJson<EvalSummary>(join(finalDir, 'eval.json')),
        steps: lastJsonLine<{ steps: number }>(stdout).steps,
        seed: Number(values['final-seed']),
        commit,
      };
      writeJsonAtomic(join(finalDir, 'run.json'), final);
    }
    record.final = final;
    save();
  } finally {
    await claim?.release();
  }
  return true;
}

// With --claim, passes repeat while they run something: a search held by a process that died
// (its lock not yet stale in an earlier pass) is taken in a later one.
for (;;) {
  let ran = 0;
  for (const { arm, seed } of order) if (await runSearchOf(arm, seed)) ran++;
  if (!values.claim || values['report-only'] || ran === 0) break;
}

// Table: best-so-far validation fitness at a few budgets, and the final test top-1.
const marks = [...new Set([8, 16, 24, 32, 40, Number(values.budget)])].filter(
  (m) => m <= Number(values.budget),
);
const pctOf = (xs: number[]) =>
  xs.length ? `${(100 * mean(xs)).toFixed(1)} ± ${(100 * sd(xs)).toFixed(1)}` : '-';
process.stdout.write(
  `| arm | searches (evaluations each) | ${marks.map((m) => `best val @${m} (%)`).join(' | ')} | test top-1 of the best, full recipe (%) |\n|${' --- |'.repeat(marks.length + 3)}\n`,
);
for (const arm of arms) {
  const mine = searches.filter((s) => s.arm === arm.name);
  const at = (m: number) =>
    pctOf(mine.filter((s) => s.bestSoFar.length >= m).map((s) => s.bestSoFar[m - 1]!));
  const finals = mine.flatMap((s) => (s.final?.eval.top1 !== undefined ? [s.final.eval.top1] : []));
  process.stdout.write(
    `| ${arm.name} | ${mine.length} (${mine.map((s) => s.fitness.length).join(', ')}) | ${marks.map(at).join(' | ')} | ${pctOf(finals)} |\n`,
  );
}

// The arms seed by seed, in pairs, from every evaluation (searchSummary.ts says why).
// Needs proposals: evaluations after the initial population.
const shape = {
  arms: arms.map((arm) => arm.name),
  budget: Number(values.budget),
  population: Number(values.population),
};
if (shape.population < shape.budget) {
  comparison = compareSearches(searches, { ...shape, pairs: searchPairs(shape.arms) });
  save();
  process.stdout.write(`\n${formatComparison(comparison)}`);
}

if (values.svg) {
  writeFileAtomic(values.svg, await renderSvg(searchFigureSpec(searches, shape)));
  process.stdout.write(`\nfigure: ${values.svg}\n`);
}
