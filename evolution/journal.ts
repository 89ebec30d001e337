/**
 * The append-only journal of a search (JSONL). Line 1 is the run header (settings that decide
 * every candidate); each further line is one finished evaluation, written with fsync once the
 * evaluation ends. A run killed at any moment loses only evaluations in flight: on resume the
 * journal is read back, a torn last line is cut off, and finished evaluations are never re-run.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { InputError, type Genome } from '../src/index.ts';
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
  if (!existsSync(file)) return { header: null, evaluations: [], validBytes: 0, tornBytes: 0 };
  const text = readFileSync(file, 'utf8');
  const evaluations: EvaluationRecord[] = [];
  let header: JournalHeader | null = null;
  let offset = 0;
  let lineNumber = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    lineNumber++;
    if (end < 0) break; // torn write: the process died mid-line
    const line = text.slice(offset, end);
    let record: JournalHeader | EvaluationRecord;
    try {
      record = JSON.parse(line) as JournalHeader | EvaluationRecord;
    } catch {
      throw new InputError(
        `journal: expected one JSON object per line, got unparsable text`,
        `${file}:${lineNumber}`,
      );
    }
    if (record.type === 'header') header = record;
    else if (record.type === 'evaluation') evaluations.push(record);
    offset = end + 1;
  }
  const validBytes = Buffer.byteLength(text.slice(0, offset));
  return { header, evaluations, validBytes, tornBytes: Buffer.byteLength(text) - validBytes };
}

export class JournalWriter {
  private constructor(private readonly fd: number) {}

  /** Opens for appending, first cutting off a torn last line left by a killed run. */
  static open(file: string, validBytes: number): JournalWriter {
    if (existsSync(file)) truncateSync(file, validBytes);
    return new JournalWriter(openSync(file, 'a'));
  }

  append(record: JournalHeader | EvaluationRecord): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
