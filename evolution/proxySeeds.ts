/**
 * A less noisy fitness: each candidate is proxy-trained K times with different training seeds
 * and its fitness is the mean (the learned connection weights guided mutation prunes by are
 * averaged too). Finished seeds can be stored, so a search killed inside a candidate resumes
 * without retraining the seeds that ended.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/index.ts';
import type { Candidate, EvaluationOutcome, Evaluator } from './search.ts';

/** Trains and scores a candidate with training seed offset `seed` (0 .. K-1). */
export type SeededEvaluator = (
  candidate: Candidate,
  seed: number,
  signal: AbortSignal,
) => Promise<EvaluationOutcome>;

/** Where the outcome of one (candidate, seed) is kept between runs. */
export interface SeedOutcomeStore {
  read(candidate: Candidate, seed: number): EvaluationOutcome | undefined;
  write(candidate: Candidate, seed: number, outcome: EvaluationOutcome): void;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean fitness, element-wise mean connection weights and mean metrics of one genome's runs. */
export function meanOutcome(outcomes: EvaluationOutcome[]): EvaluationOutcome {
  const first = outcomes[0];
  if (!first) throw new InputError('proxy seeds: expected at least one outcome, got none');
  const connectionWeights = first.connectionWeights.map((weights, node) =>
    weights.map((_, edge) => {
      const values = outcomes.map((o) => o.connectionWeights[node]?.[edge]);
      if (values.some((v) => v === undefined))
        throw new InputError(
          `proxy seeds: expected the same connections in every run, node ${node} edge ${edge} is missing in one`,
        );
      return mean(values as number[]);
    }),
  );
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(first.metrics ?? {})) {
    const values = outcomes.map((o) => o.metrics?.[key]);
    if (values.every((v) => typeof v === 'number')) metrics[key] = mean(values as number[]);
  }
  return {
    fitness: mean(outcomes.map((o) => o.fitness)),
    connectionWeights,
    ...(first.metrics ? { metrics } : {}),
    ...(first.inheritance ? { inheritance: first.inheritance } : {}),
    seedFitness: outcomes.map((o) => o.fitness),
  };
}

/** An evaluator whose fitness is the mean of `seeds` trainings (one after another). */
export function evaluateOverSeeds(
  evaluate: SeededEvaluator,
  seeds: number,
  store?: SeedOutcomeStore,
): Evaluator {
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new InputError(`proxy seeds: expected a whole number >= 1, got ${seeds}`);
  return async (candidate, signal) => {
    const outcomes: EvaluationOutcome[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      let outcome = store?.read(candidate, seed);
      if (!outcome) {
        outcome = await evaluate(candidate, seed, signal);
        store?.write(candidate, seed, outcome);
      }
      outcomes.push(outcome);
    }
    return seeds === 1 ? outcomes[0]! : meanOutcome(outcomes);
  };
}

/**
 * Finished trainings of a candidate as files `DIR/seed-k.json` (DIR = `candidateDir(candidate)`),
 * written atomically; an entry counts only for the same genome (a journal cut back to before the
 * candidate may make another candidate with that index), and an unreadable one is retrained.
 */
export function fileSeedOutcomeStore(
  candidateDir: (candidate: Candidate) => string,
): SeedOutcomeStore {
  const file = (candidate: Candidate, seed: number) =>
    join(candidateDir(candidate), `seed-${seed}.json`);
  const genomeKey = (candidate: Candidate) => JSON.stringify(candidate.genome.nodes);
  return {
    read(candidate, seed) {
      const path = file(candidate, seed);
      if (!existsSync(path)) return undefined;
      try {
        const stored = JSON.parse(readFileSync(path, 'utf8')) as {
          genome: string;
          outcome: EvaluationOutcome;
        };
        return stored.genome === genomeKey(candidate) ? stored.outcome : undefined;
      } catch {
        return undefined;
      }
    },
    write(candidate, seed, outcome) {
      const path = file(candidate, seed);
      mkdirSync(candidateDir(candidate), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify({ genome: genomeKey(candidate), outcome }));
      renameSync(`${path}.tmp`, path);
    },
  };
}
