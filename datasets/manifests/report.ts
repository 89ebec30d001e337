/**
 * Every manifest row either becomes an item or is reported: rows whose video is missing (or
 * whose path is ambiguous) are collected with file:line and the reason; duplicate ids are an
 * error naming both lines.
 */
import { InputError } from '../../src/errors.ts';
import type { ManifestItem, MissingPolicy } from './types.ts';

export interface ReportedRow {
  /** The id or path as the row gives it. */
  id: string;
  /** file:line */
  where: string;
  reason: string;
}

/** "id (file:line: reason)", the form of Manifest.missing entries. */
export function formatReported(row: ReportedRow): string {
  return `${row.id} (${row.where}: ${row.reason})`;
}

/** Rows listed in full in the error; the rest are counted. */
const LISTED = 10;

/**
 * Applies the policy to the reported rows: 'error' (the default) throws one InputError listing
 * them; 'skip' and 'keep' return them as Manifest.missing entries ('unchecked' reports none).
 */
export function settleReported(
  component: string,
  file: string,
  rows: ReportedRow[],
  policy: MissingPolicy,
): string[] {
  const lines = rows.map(formatReported);
  if (policy === 'error' && rows.length > 0) {
    const more = rows.length > LISTED ? `; and ${rows.length - LISTED} more` : '';
    throw new InputError(
      `${component}: expected every row to name a video, got ${rows.length} that do not ` +
        `(--allow-missing skips them): ${lines.slice(0, LISTED).join('; ')}${more}`,
      file,
    );
  }
  return lines;
}

/** Throws an InputError naming both rows when two items share an id. */
export function checkUniqueIds(component: string, items: readonly ManifestItem[]): void {
  const seen = new Map<string, ManifestItem>();
  for (const item of items) {
    const first = seen.get(item.id);
    if (first) {
      throw new InputError(
        `${component}: expected unique video ids, got "${item.id}" on ${first.source ?? first.path} and on ${item.source ?? item.path}`,
      );
    }
    seen.set(item.id, item);
  }
}
