import { InvalidArgumentError, Option, type Command } from 'commander';
import { defaultCacheDir, defaultWorkerCount, selectBackend } from '../../src/index.ts';
import {
  DEFAULT_SEARCH_SETTINGS,
  DEFAULT_STRATEGY,
  STRATEGIES,
  readSearchSpace,
  type SearchSettings,
  type Strategy,
} from '../../evolution/index.ts';
import { PROXY_DEFAULTS, runEvolveJob, summarizeRecord } from '../jobs/evolve.ts';
import { parseRunConfig, type RunConfig } from '../../src/networks/runConfig.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';
import { addRunConfigOptions, runConfigFromFlags } from '../runConfigFlags.ts';

interface EvolveFlags extends BackendFlag {
  threads?: number;
  space: string;
  dataset: string;
  classes?: string;
  budget: number;
  workers: number;
  strategy: Strategy;
  selection: 'tournament' | 'aging';
  population: number;
  tournament: number;
  batchSize: number;
  pruneThreshold: number;
  structuralRate: number;
  inheritWeights?: boolean;
  proxySeeds: number;
  seed?: number;
  out: string;
  cacheDir?: string;
  resume?: boolean;
  reuseFrom?: string[];
  queue?: string;
  json?: boolean;
  report?: boolean;
}

function fraction(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!(parsed >= 0 && parsed <= 1))
      throw new InvalidArgumentError(`${name}: expected a number in [0, 1], got "${value}"`);
    return parsed;
  };
}

export function searchSettingsFromFlags(flags: EvolveFlags, seed: number): SearchSettings {
  return {
    strategy: flags.strategy,
    seed,
    budget: flags.budget,
    populationSize: flags.population,
    tournamentSize: flags.tournament,
    selection: flags.selection,
    batchSize: flags.batchSize,
    pruneThreshold: flags.pruneThreshold,
    structuralRate: flags.structuralRate,
    ...(flags.inheritWeights ? { inheritWeights: true } : {}),
    ...(flags.proxySeeds > 1 ? { proxySeeds: flags.proxySeeds } : {}),
  };
}

export function formatRecordTable(rows: ReturnType<typeof summarizeRecord>[]): string {
  const header = ['#', 'parent', 'fitness', 'nodes', 'edges', 'sec', 'mutation'];
  const lines = rows.map((r) => [
    String(r.index),
    r.parent === null ? '-' : String(r.parent),
    r.fitness === null ? 'failed' : r.fitness.toFixed(3),
    String(r.nodes),
    String(r.edges),
    String(r.seconds),
    r.mutation,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines]
    .map((cells) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  '),
    )
    .join('\n');
}

export function registerEvolve(program: Command): void {
  const d = DEFAULT_SEARCH_SETTINGS;
  const command = program
    .command('evolve')
    .description(
      'evolve multi-stream connectivity, pruning candidates by their learned connection weights (resumable)',
    )
    .requiredOption(
      '--space <file>',
      'search space JSON (e.g. evolution/spaces/two-stream-small.json)',
    )
    .requiredOption('--dataset <manifest>', 'dataset manifest with train and val splits')
    .requiredOption(
      '--budget <n>',
      'evaluations in all, the initial population included',
      positiveInt('--budget'),
    )
    .requiredOption('--out <dir>', 'output folder: journal.jsonl, candidates/, best-genome.json')
    .option('--classes <file>', 'class list (Charades: c000 name per line)')
    .addOption(
      new Option('--workers <n>', 'candidates trained at once, one process each')
        .argParser(positiveInt('--workers'))
        .default(defaultWorkerCount(), `the number of cores, ${defaultWorkerCount()}`),
    )
    .addOption(
      new Option(
        '--strategy <name>',
        'guided: prune by learned weights; plain: random pruning; random: random search',
      )
        .choices([...STRATEGIES])
        .default(DEFAULT_STRATEGY),
    )
    .addOption(
      new Option('--selection <kind>', 'parent selection')
        .choices(['tournament', 'aging'])
        .default(d.selection),
    )
    .option(
      '--population <n>',
      'population size (and size of the initial random population)',
      positiveInt('--population'),
      d.populationSize,
    )
    .option(
      '--tournament <n>',
      'tournament sample size',
      positiveInt('--tournament'),
      d.tournamentSize,
    )
    .option(
      '--batch-size <n>',
      'children made per generation step (independent of --workers, so runs repeat exactly)',
      positiveInt('--batch-size'),
      d.batchSize,
    )
    .option(
      '--prune-threshold <w>',
      'guided mutation keeps inputs whose learned sigmoid weight is >= w',
      fraction('--prune-threshold'),
      d.pruneThreshold,
    )
    .option(
      '--structural-rate <p>',
      'probability of a dilation/split/merge/stem mutation besides the edge mutation',
      fraction('--structural-rate'),
      d.structuralRate,
    )
    .option(
      '--inherit-weights',
      "children start from the parent's trained weights where nodes and edges persist (stored in --out/weights/)",
    )
    .option(
      '--proxy-seeds <k>',
      'proxy trainings per candidate (training seeds --seed .. --seed+k-1); fitness is their mean',
      positiveInt('--proxy-seeds'),
      1,
    )
    .option('--cache-dir <dir>', `clip cache (default: ${defaultCacheDir()})`)
    .option('--resume', 'continue the search journaled in --out')
    .option(
      '--reuse-from <dirs>',
      'comma-separated --out folders of earlier searches on this dataset: their finished evaluations of the same random genomes (same seed and proxy settings) are taken over instead of trained again',
      (value: string) => value.split(',').filter(Boolean),
    )
    .option(
      '--queue <url>',
      'redis://[user:pass@]host:port[/db]: candidates are trained by `assemblenet worker` processes',
    )
    .option('--json', 'end with one JSON object on the last line')
    .option(
      '--report',
      'write report.html (fitness, lineage, genome graphs) into --out and print its path',
    )
    .option(
      '--threads <n>',
      'wasm threads per candidate process (default 1: the candidate processes share the cores)',
      positiveInt('--threads', 64),
    )
    .addOption(backendOption());
  addRunConfigOptions(command, parseRunConfig(PROXY_DEFAULTS, 'evolve'));
  command.action(async (flags: EvolveFlags & Partial<RunConfig>) => {
    const backend = await selectBackend(flags.backend, { threads: flags.threads });
    process.env.ASSEMBLENET_BACKEND = flags.backend;
    // Candidate processes read it (src/engine/threads.ts).
    if (flags.threads !== undefined) process.env.ASSEMBLENET_THREADS = String(flags.threads);
    const config = parseRunConfig({ ...PROXY_DEFAULTS, ...runConfigFromFlags(flags) }, 'evolve');
    const space = readSearchSpace(flags.space);
    const settings = searchSettingsFromFlags(flags, config.seed);
    const result = await runEvolveJob({
      space,
      manifest: flags.dataset,
      config,
      settings,
      out: flags.out,
      workers: flags.workers,
      cacheDir: flags.cacheDir ?? defaultCacheDir(),
      resume: Boolean(flags.resume),
      ...(flags.reuseFrom?.length ? { reuseFrom: flags.reuseFrom } : {}),
      ...(flags.queue ? { queue: flags.queue } : {}),
      ...(flags.classes ? { classes: flags.classes } : {}),
    });
    process.stdout.write(`${formatRecordTable(result.evaluations.map(summarizeRecord))}\n`);
    process.stdout.write(
      `best: candidate ${result.best!.index} fitness ${result.best!.fitness!.toFixed(4)} -> ${result.bestFile}\n`,
    );
    if (flags.report) {
      const { writeReport, commandMeta } = await import('../report/index.ts');
      process.stdout.write(
        `report: ${await writeReport(flags.out, commandMeta(backend.chosen, flags.dataset))}\n`,
      );
    }
    if (flags.json) {
      writeJsonLine({
        best: summarizeRecord(result.best!),
        bestFile: result.bestFile,
        evaluations: result.evaluations.length,
        ran: result.ran,
        population: result.population.map((r) => r.index),
      });
    }
  });
}
