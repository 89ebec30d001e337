/**
 * JSONL metrics log: one JSON object per line (steps, epochs, evaluations), appended as they
 * happen, so a crashed run keeps everything up to its last step and tools can tail the file.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../errors.ts';

export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends one record with a `time` stamp (ISO). Synchronous: one whole line per call. */
  append(record: object): void {
    appendFileSync(this.path, JSON.stringify({ ...record, time: new Date().toISOString() }) + '\n');
  }

  /**
   * For a resumed run: drops records of steps after `step` (they will be run again), so the
   * log has each step once.
   */
  async truncateAfterStep(step: number): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    const kept = lines.filter((line) => {
      try {
        const record = JSON.parse(line) as { step?: unknown };
        return typeof record.step !== 'number' || record.step <= step;
      } catch {
        return false; // a torn last line of a crashed run
      }
    });
    const tmp = `${this.path}.tmp-${process.pid}`;
    await writeFile(tmp, kept.map((line) => line + '\n').join(''));
    await rename(tmp, this.path);
    return lines.length - kept.length;
  }
}

/** Reads every record of a JSONL file; a torn last line is skipped, other bad lines are errors. */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const records: T[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch (error) {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === '');
      if (!isLast) {
        throw new InputError(
          `metrics log: expected one JSON object per line, got ${(error as Error).message}`,
          `${path}:${index + 1}`,
        );
      }
    }
  });
  return records;
}
