/**
 * An append-only JSONL journal whose lines survive a kill: every line is written and fsynced when
 * its work ends, so a killed run loses only the line in flight. Reading stops at a torn
 * (unterminated) last line and reports its size; opening for append cuts it off first.
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
import { InputError } from '../errors.ts';

export interface JsonlJournalLines<T> {
  entries: T[];
  /** Bytes of the complete lines. */
  validBytes: number;
  /** Bytes of a torn last line (0 when the file ends with a newline). */
  tornBytes: number;
}

/** Reads every complete line as JSON; an unparsable complete line is an InputError at file:line. */
export function readJsonlJournal<T>(file: string, what: string): JsonlJournalLines<T> {
  if (!existsSync(file)) return { entries: [], validBytes: 0, tornBytes: 0 };
  const text = readFileSync(file, 'utf8');
  const entries: T[] = [];
  let offset = 0;
  let line = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    line++;
    if (end < 0) break; // torn write: the process died mid-line
    try {
      entries.push(JSON.parse(text.slice(offset, end)) as T);
    } catch {
      throw new InputError(
        `${what}: expected one JSON object per line, got unparsable text`,
        `${file}:${line}`,
      );
    }
    offset = end + 1;
  }
  const validBytes = Buffer.byteLength(text.slice(0, offset));
  return { entries, validBytes, tornBytes: Buffer.byteLength(text) - validBytes };
}

export class JsonlJournalWriter<T> {
  private constructor(private readonly fd: number) {}

  /** Opens for appending, first cutting off a torn last line left by a killed run. */
  static open<T>(file: string, validBytes: number): JsonlJournalWriter<T> {
    if (existsSync(file)) truncateSync(file, validBytes);
    return new JsonlJournalWriter<T>(openSync(file, 'a'));
  }

  append(entry: T): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
