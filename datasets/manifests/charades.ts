import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { readCharadesClasses } from './classes.ts';
import { readCsv } from './csv.ts';
import { findVideo, normaliseSplit } from './locate.ts';
import { lineRef, resolveInsideRoot } from './paths.ts';
import { checkUniqueIds, type ReportedRow, settleReported } from './report.ts';
import type { Manifest, ManifestItem, ManifestOptions, Segment } from './types.ts';

const COMPONENT = 'charades csv';
export const CHARADES_COLUMNS = [
  'id',
  'subject',
  'scene',
  'quality',
  'relevance',
  'verified',
  'script',
  'objects',
  'descriptions',
  'actions',
  'length',
];
/** Classes files looked for beside the CSV, in this order, when no `classes` option is given. */
export const CHARADES_CLASSES_FILES = ['Charades_v1_classes.txt', 'classes.txt'];
/** Sub-folders of the root where Charades videos commonly sit. */
const VIDEO_FOLDERS = ['', 'Charades_v1_480', 'Charades_v1', 'videos'];

/** The same CSV name for another split: Charades_v1_train.csv -> Charades_v1_test.csv. */
function siblingSplitFiles(file: string): string[] {
  const name = basename(file);
  const match = /(^|[^a-z])(train|test|validation|validate|val)([^a-z]|$)/i.exec(name);
  if (!match) return [];
  const at = match.index + match[1]!.length;
  return ['train', 'val', 'validation', 'test']
    .filter((split) => split !== match[2]!.toLowerCase())
    .map((split) =>
      join(dirname(file), name.slice(0, at) + split + name.slice(at + match[2]!.length)),
    )
    .filter((path) => existsSync(path));
}

/**
 * A Charades CSV and the CSVs of its other splits beside it (Charades ships
 * Charades_v1_train.csv and Charades_v1_test.csv): training reads the train split and scores
 * the held-out one, whichever file it was given. `options.split` (one file = one stated split)
 * turns this off.
 */
export function readCharadesSplits(file: string, options: ManifestOptions = {}): Manifest {
  const first = readCharadesCsv(file, options);
  if (options.split) return first;
  const ids = new Set(first.items.map((item) => item.id));
  for (const sibling of siblingSplitFiles(file)) {
    // Same folder: without `classes`, the same classes file is found beside it.
    const other = readCharadesCsv(sibling, options);
    const fresh = other.items.filter((item) => !ids.has(item.id));
    for (const item of fresh) ids.add(item.id);
    first.items.push(...fresh);
    first.missing.push(...other.missing);
    first.notes.push(
      `also read ${basename(sibling)} (${fresh.length} videos, split "${fresh[0]?.split ?? 'none'}")`,
    );
  }
  return first;
}

function splitFromFileName(file: string): string | undefined {
  const name = basename(file).toLowerCase();
  for (const split of ['train', 'test', 'validation', 'validate', 'val']) {
    if (new RegExp(`(^|[^a-z])${split}([^a-z]|$)`).test(name)) return normaliseSplit(split);
  }
  return undefined;
}

/** Parses `c092 11.90 21.20;c147 0.00 12.60` against the class codes. */
export function parseCharadesActions(
  field: string,
  codeIndex: Map<string, number>,
  where: string,
): Segment[] {
  const segments: Segment[] = [];
  for (const part of field.split(';')) {
    const text = part.trim();
    if (!text) continue;
    const tokens = text.split(/\s+/);
    const start = Number(tokens[1]);
    const end = Number(tokens[2]);
    if (tokens.length !== 3 || !Number.isFinite(start) || !Number.isFinite(end)) {
      throw new InputError(
        `${COMPONENT}: expected actions as "cNNN start end;...", got "${text}"`,
        where,
      );
    }
    const label = codeIndex.get(tokens[0]);
    if (label === undefined) {
      throw new InputError(
        `${COMPONENT}: expected an action code from the classes file, got "${tokens[0]}"`,
        where,
      );
    }
    if (end < start)
      throw new InputError(`${COMPONENT}: expected action end >= start, got "${text}"`, where);
    segments.push({ label, start, end });
  }
  return segments;
}

/**
 * Reads a Charades CSV (id,subject,scene,...,actions,length) and its classes file
 * (`cNNN name` lines). Videos are `{id}.mp4` under the root (or its Charades_v1_480 folder).
 * The split comes from the options, else from the file name (Charades_v1_train.csv), else 'all'.
 */
export function readCharadesCsv(file: string, options: ManifestOptions = {}): Manifest {
  const { header, rows } = readCsv(file, COMPONENT);
  const column = new Map(header.map((name, index) => [name, index]));
  if (!column.has('id') || !column.has('actions')) {
    throw new InputError(
      `${COMPONENT}: expected a header with ${CHARADES_COLUMNS.join(',')}, got ${header.join(',')}`,
      lineRef(file, 1),
    );
  }
  const notes: string[] = [];
  let classesFile = options.classes;
  if (!classesFile) {
    classesFile = CHARADES_CLASSES_FILES.map((name) => join(dirname(file), name)).find((path) =>
      existsSync(path),
    );
    if (!classesFile) {
      throw new InputError(
        `${COMPONENT}: expected a classes file (--classes FILE, or ${CHARADES_CLASSES_FILES.join(' / ')} beside the CSV), got none`,
        file,
      );
    }
    notes.push(`classes from ${classesFile}`);
  }
  const { codes, names } = readCharadesClasses(classesFile);
  const codeIndex = new Map(codes.map((code, index) => [code, index]));
  const root = resolve(options.root ?? dirname(file));
  const confine = options.root !== undefined;
  const split = options.split ? normaliseSplit(options.split) : (splitFromFileName(file) ?? 'all');
  if (!options.split) notes.push(`split "${split}" from the file name`);
  const missingPolicy = options.missing ?? 'error';

  const items: ManifestItem[] = [];
  const reported: ReportedRow[] = [];
  const at = (name: string, fields: string[]) => {
    const index = column.get(name);
    return index === undefined ? undefined : fields[index];
  };
  for (const { fields, line } of rows) {
    const where = lineRef(file, line);
    if (fields.length !== header.length) {
      throw new InputError(
        `${COMPONENT}: expected ${header.length} columns ${header.join(',')}, got ${fields.length}`,
        where,
      );
    }
    const id = (at('id', fields) ?? '').trim();
    if (!id) throw new InputError(`${COMPONENT}: expected a video id, got an empty field`, where);
    const segments = parseCharadesActions(at('actions', fields) ?? '', codeIndex, where);
    const lengthField = (at('length', fields) ?? '').trim();
    let duration: number | undefined;
    if (lengthField) {
      duration = Number(lengthField);
      if (!Number.isFinite(duration) || duration < 0) {
        throw new InputError(
          `${COMPONENT}: expected length in seconds, got "${lengthField}"`,
          where,
        );
      }
    }
    const stems = VIDEO_FOLDERS.map((folder) => (folder ? join(folder, id) : id));
    for (const stem of stems) resolveInsideRoot(root, stem, COMPONENT, where, confine);
    const found = missingPolicy === 'unchecked' ? undefined : findVideo(root, stems);
    if (!found && missingPolicy !== 'unchecked') {
      reported.push({
        id,
        where,
        reason: `no ${id}.mp4 (or .mkv/.webm/.avi/.mov) under ${root} or ${VIDEO_FOLDERS.filter(Boolean).join('/, ')}/`,
      });
      if (missingPolicy !== 'keep') continue;
    }
    const labels = [...new Set(segments.map((segment) => segment.label))].sort((a, b) => a - b);
    items.push({
      id,
      path: resolveInsideRoot(root, found ?? `${id}.mp4`, COMPONENT, where, confine),
      labels,
      segments,
      split,
      duration,
      source: where,
    });
  }
  checkUniqueIds(COMPONENT, items);
  const missing = settleReported(COMPONENT, file, reported, missingPolicy);
  return {
    kind: 'charades',
    root,
    classes: names,
    classCodes: codes,
    multiLabel: true,
    items,
    missing,
    notes,
  };
}
