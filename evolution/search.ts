/**
 * The search loop: connectivity evolution guided by learned connection weights (AssembleNet),
 * with the two baselines of an honest ablation at the same budget (`plain`: edge mutations that
 * ignore the learned weights; `random`: random search).
 *
 * Determinism: candidate i is a function of (seed, i) and of the evaluations of earlier batches
 * only, so the search is repeatable for any number of workers and a killed run resumes to the
 * same final population. Batch 0 is the initial population; later batches hold `batchSize`
 * children; workers evaluate a batch's candidates in parallel.
 */
import { InputError, Rng, describeError, runInLanes, type Genome } from '../src/index.ts';
import { fromGenome, toGenome } from './graph.ts';
import type { InheritanceSummary } from './inherit.ts';
import {
  openJournalWriter,
  readJournal,
  type EvaluationRecord,
  type JournalHeader,
} from './journal.ts';
import { mutate, randomGraph } from './mutate.ts';
import { population, tournament, type SelectionKind } from './select.ts';
import type { SearchSpace } from './space.ts';

export const STRATEGIES = ['guided', 'plain', 'random'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** The strategy of the method: prune by learned connection weights. */
export const DEFAULT_STRATEGY: Strategy = 'guided';

export interface SearchSettings {
  strategy: Strategy;
  seed: number;
  /** Number of evaluations in all (the initial population included). */
  budget: number;
  populationSize: number;
  tournamentSize: number;
  selection: SelectionKind;
  batchSize: number;
  pruneThreshold: number;
  structuralRate: number;
  /**
   * Children start from the parent's trained weights where nodes and edges persist (see
   * inherit.ts). Absent or false: from scratch (journals written before the switch stay valid).
   */
  inheritWeights?: boolean;
  /**
   * Proxy trainings per candidate (different training seeds); fitness is their mean. Absent or
   * 1: one training (journals written before the option stay valid).
   */
  proxySeeds?: number;
}

export const DEFAULT_SEARCH_SETTINGS: Omit<SearchSettings, 'strategy' | 'seed' | 'budget'> = {
  populationSize: 4,
  tournamentSize: 2,
  selection: 'tournament',
  batchSize: 2,
  pruneThreshold: 0.5,
  structuralRate: 0.5,
};

export interface Candidate {
  index: number;
  genome: Genome;
  keys: string[];
  parent: EvaluationRecord | null;
  mutation: string[];
}

export interface EvaluationOutcome {
  fitness: number;
  connectionWeights: number[][];
  metrics?: Record<string, number>;
  inheritance?: InheritanceSummary;
  /** With several proxy seeds: the fitness of each training (`fitness` is their mean). */
  seedFitness?: number[];
  /** The candidate folder of another search whose evaluation this one took over. */
  reusedFrom?: string;
}

/** Trains and scores one candidate (the pipeline supplies it: dataset, budget, processes). */
export type Evaluator = (candidate: Candidate, signal: AbortSignal) => Promise<EvaluationOutcome>;

export interface SearchProgress {
  done: number;
  budget: number;
  best: EvaluationRecord | undefined;
  last: EvaluationRecord;
}

export interface SearchOptions {
  space: SearchSpace;
  settings: SearchSettings;
  journalFile: string;
  resume: boolean;
  workers: number;
  evaluate: Evaluator;
  signal?: AbortSignal;
  onEvaluation?: (progress: SearchProgress) => void;
}

export interface SearchResult {
  evaluations: EvaluationRecord[];
  best: EvaluationRecord | undefined;
  population: EvaluationRecord[];
  /** Evaluations this call ran (the rest came from the journal). */
  ran: number;
}

function fitnessOf(record: EvaluationRecord): number {
  return record.status === 'ok' && record.fitness !== null ? record.fitness : -Infinity;
}

export function bestOf(records: EvaluationRecord[]): EvaluationRecord | undefined {
  return records.reduce<EvaluationRecord | undefined>(
    (best, record) => (!best || fitnessOf(record) > fitnessOf(best) ? record : best),
    undefined,
  );
}

/** Index ranges of the batches: [0, P), then batchSize at a time up to the budget. */
export function batchesOf(settings: SearchSettings): [number, number][] {
  const batches: [number, number][] = [];
  const first =
    settings.strategy === 'random'
      ? settings.batchSize
      : Math.min(settings.populationSize, settings.budget);
  batches.push([0, Math.min(first, settings.budget)]);
  for (let start = batches[0]![1]; start < settings.budget; start += settings.batchSize) {
    batches.push([start, Math.min(start + settings.batchSize, settings.budget)]);
  }
  return batches;
}

/** Candidate `index`, made from the evaluations of earlier batches (`earlier`, by index). */
export function makeCandidate(
  index: number,
  earlier: EvaluationRecord[],
  space: SearchSpace,
  settings: SearchSettings,
): Candidate {
  const rng = Rng.fromSeed(`${settings.seed}:candidate:${index}`);
  const name = `candidate-${index}`;
  if (settings.strategy === 'random' || index < settings.populationSize || earlier.length === 0) {
    const { genome, keys } = toGenome(randomGraph(space, rng), space, name);
    return { index, genome, keys, parent: null, mutation: ['random'] };
  }
  const members = population(earlier, settings.populationSize, settings.selection);
  const parent = tournament(members, settings.tournamentSize, rng);
  const graph = fromGenome(parent.genome, parent.keys, parent.connectionWeights ?? undefined);
  const mutation = mutate(graph, space, settings.strategy, settings, rng);
  const { genome, keys } = toGenome(graph, space, name);
  return { index, genome, keys, parent, mutation };
}

function checkResume(
  header: JournalHeader | null,
  settings: Record<string, unknown>,
  file: string,
  resume: boolean,
): boolean {
  if (!header) return false;
  if (!resume) {
    throw new InputError(
      `evolve: expected a new output folder or --resume, got an existing journal`,
      file,
    );
  }
  const before = JSON.stringify(header.settings);
  const now = JSON.stringify(settings);
  if (before !== now) {
    throw new InputError(
      `evolve: --resume expected the settings of the journal (${before}), got ${now}`,
      file,
    );
  }
  return true;
}

/** Runs (or resumes) a search to its budget; every finished evaluation is journaled once. */
export async function runSearch(options: SearchOptions): Promise<SearchResult> {
  const { space, settings, journalFile, workers, evaluate } = options;
  // inheritWeights and proxySeeds join the header only when set, so journals of earlier runs
  // still resume.
  const { inheritWeights, proxySeeds, ...decisive } = settings;
  const headerSettings = {
    ...decisive,
    ...(inheritWeights ? { inheritWeights: true } : {}),
    ...(proxySeeds && proxySeeds > 1 ? { proxySeeds } : {}),
    space,
  };
  const existing = readJournal(journalFile);
  const resumed = checkResume(existing.header, headerSettings, journalFile, options.resume);
  const writer = openJournalWriter(journalFile, existing.validBytes);
  const records = new Map(existing.evaluations.map((record) => [record.index, record]));
  let ran = 0;
  try {
    if (!resumed) {
      writer.append({
        type: 'header',
        version: 1,
        settings: headerSettings,
        startedAt: new Date().toISOString(),
      });
    }
    const abort = new AbortController();
    options.signal?.addEventListener('abort', () => abort.abort(options.signal?.reason));
    for (const [start, end] of batchesOf(settings)) {
      const earlier = [...records.values()]
        .filter((r) => r.index < start)
        .sort((a, b) => a.index - b.index);
      const pending: Candidate[] = [];
      for (let index = start; index < end; index++) {
        if (!records.has(index)) pending.push(makeCandidate(index, earlier, space, settings));
      }
      await runInLanes(pending, workers, async (candidate) => {
        const startedAt = Date.now();
        let record: EvaluationRecord;
        const base = {
          type: 'evaluation' as const,
          index: candidate.index,
          genome: candidate.genome,
          keys: candidate.keys,
          parent: candidate.parent?.index ?? null,
          mutation: candidate.mutation,
        };
        try {
          const outcome = await evaluate(candidate, abort.signal);
          record = {
            ...base,
            status: 'ok',
            fitness: outcome.fitness,
            connectionWeights: outcome.connectionWeights,
            ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
            ...(outcome.inheritance ? { inheritance: outcome.inheritance } : {}),
            ...(outcome.seedFitness ? { seedFitness: outcome.seedFitness } : {}),
            ...(outcome.reusedFrom ? { reusedFrom: outcome.reusedFrom } : {}),
            seconds: (Date.now() - startedAt) / 1000,
            finishedAt: new Date().toISOString(),
          };
        } catch (error) {
          if (abort.signal.aborted) throw error;
          record = {
            ...base,
            status: 'failed',
            fitness: null,
            connectionWeights: null,
            error: describeError(error),
            seconds: (Date.now() - startedAt) / 1000,
            finishedAt: new Date().toISOString(),
          };
        }
        writer.append(record);
        records.set(record.index, record);
        ran++;
        const all = [...records.values()];
        options.onEvaluation?.({
          done: all.length,
          budget: settings.budget,
          best: bestOf(all),
          last: record,
        });
      });
    }
  } finally {
    writer.close();
  }
  const evaluations = [...records.values()].sort((a, b) => a.index - b.index);
  return {
    evaluations,
    best: bestOf(evaluations),
    population: population(evaluations, settings.populationSize, settings.selection),
    ran,
  };
}
