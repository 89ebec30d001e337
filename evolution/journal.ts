/**
 * The append-only journal of a search (JSONL). Line 1 is the run header (settings that decide
 * every candidate); each further line is one finished evaluation, written with fsync once the
 * evaluation ends. A run killed at any moment loses only evaluations in flight: on resume the
 * journal is read back, a torn last line is cut off, and finished evaluations are never re-run.
 */
import type { Genome } from '../src/index.ts';
import { JsonlJournalWriter, readJsonlJournal } from '../src/util/jsonlJournal.ts';
import type { InheritanceSummary } from './inherit.ts';

export interface JournalHeader {
  type: 'header';
  version: 1;
  /** Everything that decides which candidates are made (strategy, seed, space, sizes). */
  settings: Record<string, unknown>;
  startedAt: string;
}

export interface EvaluationRecord {
  type: 'evaluation';
  /** Evaluation number, 0-based; candidates are a function of (seed, index, earlier records). */
  index: number;
  genome: Genome;
  /** Stable node keys of `genome.nodes` (lineage of nodes across mutations). */
  keys: string[];
  parent: number | null;
  mutation: string[];
  status: 'ok' | 'failed';
  fitness: number | null;
  /** Learned sigmoid connection weights per node, aligned with its inputs ([] for stems). */
  connectionWeights: number[][] | null;
  metrics?: Record<string, number>;
  /** Present when the candidate started from its parent's trained weights (inheritWeights). */
  inheritance?: InheritanceSummary;
  /** With several proxy seeds: each training's fitness (`fitness` is their mean). */
  seedFitness?: number[];
  /** The candidate folder of another search whose evaluation this one took over (same genome). */
  reusedFrom?: string;
  error?: string;
  seconds: number;
  finishedAt: string;
}

export interface JournalContents {
  header: JournalHeader | null;
  evaluations: EvaluationRecord[];
}

/** Reads a journal; a torn (unterminated, unparsable) last line is reported as `tornBytes`. */
export function readJournal(
  file: string,
): JournalContents & { validBytes: number; tornBytes: number } {
  const { entries, validBytes, tornBytes } = readJsonlJournal<JournalHeader | EvaluationRecord>(
    file,
    'journal',
  );
  let header: JournalHeader | null = null;
  const evaluations: EvaluationRecord[] = [];
  for (const record of entries) {
    if (record.type === 'header') header = record;
    else if (record.type === 'evaluation') evaluations.push(record);
  }
  return { header, evaluations, validBytes, tornBytes };
}

export type JournalWriter = JsonlJournalWriter<JournalHeader | EvaluationRecord>;

/** Opens the journal for appending, first cutting off a torn last line left by a killed run. */
export function openJournalWriter(file: string, validBytes: number): JournalWriter {
  return JsonlJournalWriter.open(file, validBytes);
}
