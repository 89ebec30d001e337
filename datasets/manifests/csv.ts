import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../../src/errors.ts';
import { lineRef } from './paths.ts';

export interface CsvRow {
  fields: string[];
  /** 1-based line where the row starts (quoted fields may span lines). */
  line: number;
}

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
}

interface ParsedRecord {
  record: string[];
  raw: string;
  info: { lines: number };
}

/** Parses a CSV with a header row; quoted fields may hold commas and newlines. */
export function readCsv(file: string, component: string): CsvTable {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as ParsedRecord[]; // info+raw change the row shape; the typings do not model it
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    throw new InputError(
      `${component}: expected valid CSV, got ${(error as Error).message}`,
      lineRef(file, line),
    );
  }
  const rows = records.map(({ record, raw, info }) => {
    // raw carries skipped empty lines before the record and its own line break after it.
    const body = raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '');
    const innerBreaks = body.split('\n').length - 1;
    return { fields: record, line: info.lines - innerBreaks };
  });
  const first = rows.shift();
  if (!first)
    throw new InputError(
      `${component}: expected a header row, got an empty file`,
      lineRef(file, 1),
    );
  return { header: first.fields.map((name) => name.trim()), rows };
}
