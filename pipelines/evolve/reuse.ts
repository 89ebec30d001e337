/**
 * Taking over evaluations that another search already ran, instead of training the same
 * candidate again. Searches of one seed share their random genomes: candidate i of an initial
 * population (and every candidate of random search) is a function of (seed, i) only, so the
 * guided, plain and random searches of a seed train the same first genomes. Proxy training is
 * deterministic for a genome and a run config (its seed included), so an evaluation found in a
 * sibling's journal is the one this search would measure.
 *
 * An evaluation is taken over only when all of these hold: the candidate has no parent; the
 * sibling's journal header has the same search seed and proxy-seed count; the sibling's record
 * has the same index, genome and node keys, finished ok and inherited no weights; and the run
 * config in the sibling candidate's last checkpoint equals this search's. The caller vouches
 * that the siblings trained on the same manifest (experiment scripts pass the other searches of
 * one run). The sibling's candidate folder is copied, and the journal records `reusedFrom`.
 *
 * A search that inherits weights also needs each candidate's trained weights in its own weights/
 * folder (its children start from them): they are written from the sibling candidate's last
 * training checkpoint, the network the candidate ended its training with.
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  readJournal,
  type Candidate,
  type EvaluationOutcome,
  type EvaluationRecord,
  type Evaluator,
  type SearchSettings,
} from '../../evolution/index.ts';
import { loadCheckpoint, saveCheckpoint, type JsonObject } from '../../src/index.ts';
import { canonicalJson } from '../../src/cache/diskCache.ts';
import { CHECKPOINT_JSON, latestCheckpoint } from '../../src/train/checkpoint.ts';
import type { RunConfig } from '../../src/networks/runConfig.ts';

export interface ReuseMatch {
  settings: SearchSettings;
  /** The proxy run config of this search's candidates. */
  config: RunConfig;
}

const sameJson = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

async function trainedWith(candidateDir: string, config: RunConfig): Promise<boolean> {
  const checkpoint = await latestCheckpoint(join(candidateDir, 'checkpoints'));
  if (!checkpoint) return false;
  const state = JSON.parse(readFileSync(join(checkpoint, CHECKPOINT_JSON), 'utf8')) as {
    options?: { config?: unknown };
  };
  return sameJson(state.options?.config, config);
}

/** An evaluation of `candidate` in one of `folders` that this search may take over. */
export async function findReusableEvaluation(
  folders: string[],
  candidate: Candidate,
  match: ReuseMatch,
): Promise<{ record: EvaluationRecord; dir: string } | undefined> {
  if (candidate.parent !== null) return undefined;
  for (const folder of folders) {
    const { header, evaluations } = readJournal(join(folder, 'journal.jsonl'));
    if (
      !header ||
      header.settings.seed !== match.settings.seed ||
      ((header.settings.proxySeeds as number | undefined) ?? 1) !== (match.settings.proxySeeds ?? 1)
    )
      continue;
    const record = evaluations.find((r) => r.index === candidate.index);
    if (
      !record ||
      record.status !== 'ok' ||
      record.fitness === null ||
      record.connectionWeights === null ||
      record.parent !== null ||
      record.inheritance ||
      !sameJson(record.genome, candidate.genome) ||
      record.keys.join() !== candidate.keys.join()
    )
      continue;
    const dir = resolve(folder, 'candidates', `candidate-${candidate.index}`);
    if (existsSync(dir) && (await trainedWith(dir, match.config))) return { record, dir };
  }
  return undefined;
}

/** Writes the weights a candidate ended its training with (its last checkpoint) to `dir`. */
async function storeTrainedWeights(candidateDir: string, dir: string, candidate: Candidate) {
  const checkpoint = await latestCheckpoint(join(candidateDir, 'checkpoints'));
  const stored = await loadCheckpoint(checkpoint!);
  try {
    await saveCheckpoint(dir, {
      weights: stored.weights,
      metadata: {
        index: candidate.index,
        keys: candidate.keys,
        genome: JSON.parse(JSON.stringify(candidate.genome)) as JsonObject,
      },
    });
  } finally {
    stored.dispose();
  }
}

/**
 * `evaluate`, except that a candidate found in a sibling search (findReusableEvaluation) is
 * taken over: its folder copied to `candidateDir(candidate)` (replacing what a killed training
 * left there), with `weightsDir` (searches that inherit weights) its trained weights stored
 * there, its outcome returned.
 */
export function reusingEvaluator(
  evaluate: Evaluator,
  folders: string[],
  match: ReuseMatch,
  candidateDir: (candidate: Candidate) => string,
  weightsDir?: (candidate: Candidate) => string,
): Evaluator {
  if (match.settings.inheritWeights && !weightsDir)
    throw new Error('reusingEvaluator: a search that inherits weights needs weightsDir');
  return async (candidate, signal) => {
    const found = await findReusableEvaluation(folders, candidate, match);
    if (!found) return evaluate(candidate, signal);
    // what a killed training of this candidate left there is replaced, not merged
    rmSync(candidateDir(candidate), { recursive: true, force: true });
    cpSync(found.dir, candidateDir(candidate), { recursive: true });
    if (weightsDir) await storeTrainedWeights(found.dir, weightsDir(candidate), candidate);
    const { record } = found;
    const outcome: EvaluationOutcome = {
      fitness: record.fitness!,
      connectionWeights: record.connectionWeights!,
      ...(record.metrics ? { metrics: record.metrics } : {}),
      ...(record.seedFitness ? { seedFitness: record.seedFitness } : {}),
      reusedFrom: found.dir,
    };
    return outcome;
  };
}
