/**
 * Models x seeds, each an `assemblenet train` run in OUT/<model>-s<seed> scored on one split.
 * A run whose folder holds run.json is done and is read back, not retrained; an interrupted one
 * continues from its newest checkpoint. Runs go seed by seed, so a partial result covers every
 * model. The JSON file is rewritten after every run (runs of other models or seeds already in it
 * are kept).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EvalSummary } from '../jobs/summarize.ts';
import {
  gitCommit,
  lastJsonLine,
  readJson,
  readJsonIfExists,
  runCli,
  writeJsonAtomic,
} from './common.ts';

export interface ModelEntry {
  name: string;
  genome: string;
}

export interface TrainRun {
  model: string;
  genome: string;
  seed: number;
  split: string;
  eval: EvalSummary;
  steps: number;
  seconds: number;
  commit: string;
  finishedAt: string;
}

export interface TrainRunsInput {
  /** Dataset manifest (a Charades set: any of its split CSVs). */
  dataset: string;
  classes?: string;
  models: ModelEntry[];
  seeds: number[];
  out: string;
  json: string;
  split: string;
  workers: number;
  /** Extra `assemblenet train` flags: the recipe. */
  recipe: string[];
  /** Fields of the JSON besides the runs (experiment name, command, baselines). */
  meta: () => Record<string, unknown>;
}

/** "name=genome.json,..." -> entries; every genome file must exist. */
export function parseModels(value: string): ModelEntry[] {
  return value
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [name, genome] = entry.split('=');
      if (!name || !genome || !existsSync(genome))
        throw new Error(`--models: expected name=existing-genome.json, got "${entry}"`);
      return { name, genome };
    });
}

export async function runTrainSeeds(input: TrainRunsInput): Promise<TrainRun[]> {
  const planned = new Set(input.models.flatMap((m) => input.seeds.map((s) => `${m.name}:${s}`)));
  const runs: TrainRun[] = (readJsonIfExists<{ runs: TrainRun[] }>(input.json)?.runs ?? []).filter(
    (r) => !planned.has(`${r.model}:${r.seed}`),
  );
  const save = () => writeJsonAtomic(input.json, { ...input.meta(), recipe: input.recipe, runs });
  for (const seed of input.seeds) {
    for (const model of input.models) {
      const dir = join(input.out, `${model.name}-s${seed}`);
      const record = join(dir, 'run.json');
      let run = readJsonIfExists<TrainRun>(record);
      if (!run) {
        const commit = gitCommit();
        const started = Date.now();
        process.stderr.write(`${model.name} seed ${seed} (commit ${commit})\n`);
        const stdout = await runCli(
          [
            'train',
            '--json',
            '--genome',
            resolve(model.genome),
            '--dataset',
            resolve(input.dataset),
            ...(input.classes ? ['--classes', resolve(input.classes)] : []),
            '--out',
            resolve(dir),
            '--eval-split',
            input.split,
            '--seed',
            String(seed),
            '--workers',
            String(input.workers),
            ...(existsSync(join(dir, 'checkpoints')) ? ['--resume'] : []),
            ...input.recipe,
          ],
          join(dir, 'train.log'),
        );
        const { steps } = lastJsonLine<{ steps: number }>(stdout);
        run = {
          model: model.name,
          genome: model.genome,
          seed,
          split: input.split,
          eval: readJson<EvalSummary>(join(dir, 'eval.json')),
          steps,
          seconds: (Date.now() - started) / 1000,
          commit,
          finishedAt: new Date().toISOString(),
        };
        writeJsonAtomic(record, run);
      }
      runs.push(run);
      save();
    }
  }
  return runs;
}
