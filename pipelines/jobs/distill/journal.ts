/**
 * The append-only journal of a student search (out/search-journal.jsonl), as `evolve` keeps one:
 * line 1 is the header (every setting that decides which students are drawn and how they are
 * trained), then one line per finished candidate and one per finished final training, each
 * written with fsync when it ends. A killed run loses only the candidate in flight: `--resume`
 * reads the journal back (a torn last line is cut off), replays the finished candidates to the
 * search without training them again, and continues.
 */
import type { SearchRecord, StudentArch } from '../../../src/index.ts';
import { JsonlJournalWriter, readJsonlJournal } from '../../../src/util/jsonlJournal.ts';
import type { StudentLatency } from './costs.ts';
import type { SplitScore } from './score.ts';

export interface SearchJournalHeader {
  type: 'header';
  version: 1;
  settings: Record<string, unknown>;
  startedAt: string;
}

export interface CandidateEntry {
  type: 'candidate';
  index: number;
  hash: string;
  arch: StudentArch;
  status: SearchRecord['status'];
  reason?: string;
  /** Search score (val; test when there is no val split). */
  accuracy: number;
  latency: StudentLatency | null;
  val?: SplitScore;
  test?: SplitScore;
  batch?: number;
  steps?: number;
  seconds: number;
  finishedAt: string;
}

export interface FinalEntry {
  type: 'final';
  hash: string;
  status: 'ok' | 'failed';
  reason?: string;
  checkpoint?: string;
  test?: SplitScore;
  batch?: number;
  steps?: number;
  seconds: number;
  finishedAt: string;
}

type Entry = SearchJournalHeader | CandidateEntry | FinalEntry;

export interface SearchJournal {
  header: SearchJournalHeader | null;
  candidates: CandidateEntry[];
  finals: FinalEntry[];
  validBytes: number;
  tornBytes: number;
}

export function readSearchJournal(file: string): SearchJournal {
  const { entries, validBytes, tornBytes } = readJsonlJournal<Entry>(file, 'search journal');
  const journal: SearchJournal = {
    header: null,
    candidates: [],
    finals: [],
    validBytes,
    tornBytes,
  };
  for (const entry of entries) {
    if (entry.type === 'header') journal.header = entry;
    else if (entry.type === 'candidate') journal.candidates.push(entry);
    else if (entry.type === 'final') journal.finals.push(entry);
  }
  return journal;
}

export type SearchJournalWriter = JsonlJournalWriter<Entry>;

/** Opens the search journal for appending, first cutting off a torn last line. */
export function openSearchJournalWriter(file: string, validBytes: number): SearchJournalWriter {
  return JsonlJournalWriter.open(file, validBytes);
}

/** The settings that differ between a journal's header and this run's, as "name: was -> now". */
export function settingsDiff(
  journal: Record<string, unknown>,
  current: Record<string, unknown>,
): string[] {
  const keys = [...new Set([...Object.keys(journal), ...Object.keys(current)])];
  return keys
    .filter((key) => JSON.stringify(journal[key]) !== JSON.stringify(current[key]))
    .map(
      (key) =>
        `${key}: ${JSON.stringify(journal[key]) ?? 'unset'} -> ${JSON.stringify(current[key]) ?? 'unset'}`,
    );
}
