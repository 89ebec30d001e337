import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { displayBytes, pathFromBytes } from './bytePaths.ts';
import { readClassNames } from './classes.ts';
import { normaliseSplit } from './locate.ts';
import { confineToRoot, lineRef } from './paths.ts';
import { checkUniqueIds, type ReportedRow, settleReported } from './report.ts';
import type { Manifest, ManifestItem, ManifestOptions } from './types.ts';

const COMPONENT = 'video list';

interface ListRow {
  /** Absolute path bytes. */
  path: Buffer;
  /** The path as written (text, undecodable bytes as \xHH). */
  written: string;
  labelTokens: string[];
  line: number;
  /** Why the row cannot be read, when it cannot. */
  problem?: string;
}

// Lines are handled as latin1 text (one character per byte), so that paths keep their exact
// bytes; labels are then decoded as UTF-8.
const bytesOf = (latin1: string) => Buffer.from(latin1, 'latin1');
const textOf = (latin1: string) => bytesOf(latin1).toString('utf8');

/** `"a b.mp4"` -> a b.mp4 (`""` inside is one quote); the rest of the line after it. */
function splitQuoted(text: string, where: string): { path: string; rest: string } {
  let path = '';
  for (let at = 1; at < text.length; at++) {
    if (text[at] !== '"') {
      path += text[at];
      continue;
    }
    if (text[at + 1] === '"') {
      path += '"';
      at++;
      continue;
    }
    return { path, rest: text.slice(at + 1) };
  }
  throw new InputError(`${COMPONENT}: expected a closing quote after the path, got none`, where);
}

const exists = (base: string, latin1Path: string) =>
  statSync(resolveBytes(base, latin1Path), { throwIfNoEntry: false }) !== undefined;

function resolveBytes(base: string, latin1Path: string): Buffer {
  const bytes = bytesOf(latin1Path);
  if (bytes[0] === 0x2f) return bytes; // absolute
  return Buffer.concat([Buffer.from(`${base}/`, 'utf8'), bytes]);
}

/**
 * One line -> path and label. The rule: `path<TAB>label` (the label may hold spaces); or
 * `"path" label` (a quoted path; `""` is a quote inside it); or `path label` where the last
 * whitespace-separated field is the label; or `path` alone (also when the whole line names an
 * existing file, spaces and all).
 */
function splitLine(
  text: string,
  base: string,
  where: string,
): { path: string; label?: string; problem?: string } {
  if (text.startsWith('"')) {
    const { path, rest } = splitQuoted(text, where);
    return { path, label: rest.trim() || undefined };
  }
  if (text.includes('\t')) {
    const [path, ...rest] = text.split('\t');
    return { path: path!.trim(), label: rest.join(' ').trim() || undefined };
  }
  if (exists(base, text)) return { path: text };
  const match = /^(.*\S)\s+(\S+)$/.exec(text);
  if (!match) return { path: text };
  const [, path, label] = match as unknown as [string, string, string];
  if (exists(base, path)) return { path, label };
  // "a.mp4 move left": the last field is the label, so the path "a.mp4 move" is missing; when a
  // shorter prefix names a file, say how to write a label with spaces.
  const words = text.split(/(\s+)/);
  for (let count = words.length - 4; count >= 1; count -= 2) {
    const prefix = words.slice(0, count).join('');
    if (prefix && exists(base, prefix)) {
      const labelText = textOf(text.slice(prefix.length).trim());
      const shownPath = displayBytes(bytesOf(prefix));
      return {
        path,
        label,
        problem:
          `ambiguous: "${displayBytes(bytesOf(path))}" does not exist but "${shownPath}" does; ` +
          `for the label "${labelText}" write "${shownPath}<TAB>${labelText}" or quote the path`,
      };
    }
  }
  return { path, label };
}

/**
 * Reads a plain list: one video per line, `path<TAB>label`, `"path" label`, `path label` (the
 * last field is the label) or `path` alone (for inference). Labels: class names, or integer
 * indices into the classes file; several labels separated by commas make the set multi-label.
 * Paths are absolute or relative to the list's folder; file names are bytes (names that are not
 * UTF-8 work). `#` starts a comment. Ids are paths relative to the root (`options.root`, else the
 * list's folder) without the extension, or the absolute path for files outside it.
 */
export function readVideoList(file: string, options: ManifestOptions = {}): Manifest {
  const base = resolve(dirname(file));
  const root = resolve(options.root ?? base);
  const rows: ListRow[] = [];
  readFileSync(file)
    .toString('latin1')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const text = raw.replace(/^\u00ef\u00bb\u00bf/, '').trim(); // UTF-8 BOM, as latin1
      if (!text || text.startsWith('#')) return;
      const where = lineRef(file, index + 1);
      if (text.includes('\0'))
        throw new InputError(`${COMPONENT}: expected a path, got one with a NUL byte`, where);
      const { path, label, problem } = splitLine(text, base, where);
      const labelText = label === undefined ? undefined : textOf(label);
      rows.push({
        path: resolveBytes(base, path),
        written: displayBytes(bytesOf(path)),
        labelTokens: labelText && !problem ? labelText.split(',').filter(Boolean) : [],
        line: index + 1,
        ...(problem ? { problem } : {}),
      });
    });
  const notes: string[] = [];
  let classes: string[];
  const tokens = rows.flatMap((row) => row.labelTokens);
  const numeric = tokens.length > 0 && tokens.every((token) => /^\d+$/.test(token));
  if (options.classes) classes = readClassNames(options.classes, COMPONENT);
  else if (numeric) {
    const max = Math.max(...tokens.map(Number));
    classes = Array.from({ length: max + 1 }, (_, index) => String(index));
    notes.push(`classes: integer labels 0..${max}, no classes file`);
  } else {
    classes = [...new Set(tokens)].sort();
    if (tokens.length) notes.push(`classes: ${classes.length} labels found in the list, sorted`);
  }
  const classIndex = new Map(classes.map((name, index) => [name, index]));
  const missingPolicy = options.missing ?? 'error';
  const reported: ReportedRow[] = [];
  const items: ManifestItem[] = [];
  for (const row of rows) {
    const where = lineRef(file, row.line);
    const labels = row.labelTokens.map((token) => {
      const index = classIndex.get(token) ?? (/^\d+$/.test(token) ? Number(token) : undefined);
      if (index === undefined || index >= classes.length) {
        throw new InputError(
          `${COMPONENT}: expected a class name or index < ${classes.length}, got "${token}"`,
          where,
        );
      }
      return index;
    });
    // normalise "a/./b/../c" lexically, bytes kept
    const normalised = bytesOf(resolve(row.path.toString('latin1')));
    if (options.root) confineToRoot(root, normalised, COMPONENT, row.written, where);
    const stat =
      missingPolicy === 'unchecked' ? undefined : statSync(normalised, { throwIfNoEntry: false });
    const problem =
      row.problem ??
      (missingPolicy === 'unchecked'
        ? undefined
        : !stat
          ? 'no such file'
          : !stat.isFile()
            ? 'not a file (a folder or device)'
            : undefined);
    if (problem) {
      reported.push({ id: row.written, where, reason: problem });
      if (missingPolicy !== 'keep' || row.problem) continue;
    }
    const shown = displayBytes(normalised);
    const rel = relative(root, shown);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    items.push({
      id: (inside ? rel : shown).replace(/\.[^./]+$/, ''),
      path: pathFromBytes(normalised),
      labels,
      split: normaliseSplit(options.split ?? 'all'),
      source: where,
    });
  }
  checkUniqueIds(COMPONENT, items);
  const missing = settleReported(COMPONENT, file, reported, missingPolicy);
  const multiLabel = rows.some((row) => row.labelTokens.length > 1);
  return { kind: 'list', root, classes, multiLabel, items, missing, notes };
}
