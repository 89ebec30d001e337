import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { readClassNames } from './classes.ts';
import { readCsv } from './csv.ts';
import { findVideo, normaliseSplit, splitFolders } from './locate.ts';
import { lineRef, resolveInsideRoot } from './paths.ts';
import { checkUniqueIds, type ReportedRow, settleReported } from './report.ts';
import type { Manifest, ManifestItem, ManifestOptions } from './types.ts';

const COMPONENT = 'kinetics csv';
const EXPECTED = ['label', 'youtube_id', 'time_start', 'time_end', 'split'];
/** Label file looked for beside the CSV when no `classes` option is given. */
export const KINETICS_LABELS_FILE = 'labels.txt';

/** Kinetics clip file stem: `{youtube_id}_{start:06d}_{end:06d}`. */
export function kineticsClipId(youtubeId: string, start: number, end: number): string {
  const pad = (n: number) => String(Math.trunc(n)).padStart(6, '0');
  return `${youtubeId}_${pad(start)}_${pad(end)}`;
}

function parseTime(value: string, column: string, where: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InputError(
      `${COMPONENT}: expected ${column} to be a number of seconds >= 0, got "${value}"`,
      where,
    );
  }
  return seconds;
}

/**
 * Reads a Kinetics CSV (`label,youtube_id,time_start,time_end,split`; the label column may be
 * absent in test files, extra columns such as is_cc are ignored). Clip files are looked for as
 * `{id}.mp4` (or .mkv/.webm/...) in root, root/label, root/split, root/split/label.
 */
export function readKineticsCsv(file: string, options: ManifestOptions = {}): Manifest {
  const { header, rows } = readCsv(file, COMPONENT);
  const column = new Map(header.map((name, index) => [name, index]));
  for (const required of ['youtube_id', 'time_start', 'time_end']) {
    if (!column.has(required)) {
      throw new InputError(
        `${COMPONENT}: expected a header with ${EXPECTED.join(',')}, got ${header.join(',')}`,
        lineRef(file, 1),
      );
    }
  }
  const root = resolve(options.root ?? dirname(file));
  const confine = options.root !== undefined;
  const missingPolicy = options.missing ?? 'error';
  const notes: string[] = [];

  let classes: string[] | undefined;
  const labelsBeside = join(dirname(file), KINETICS_LABELS_FILE);
  if (options.classes) classes = readClassNames(options.classes, COMPONENT);
  else if (existsSync(labelsBeside)) {
    classes = readClassNames(labelsBeside, COMPONENT);
    notes.push(`classes from ${labelsBeside}`);
  }
  const classIndex = new Map(classes?.map((name, index) => [name, index]));
  const fixedClasses = classes !== undefined;
  const seenLabels = new Set<string>();

  const at = (name: string, fields: string[]) => {
    const index = column.get(name);
    return index === undefined ? undefined : fields[index]?.trim();
  };
  const pending: (Omit<ManifestItem, 'labels'> & { label?: string })[] = [];
  const reported: ReportedRow[] = [];
  for (const { fields, line } of rows) {
    const where = lineRef(file, line);
    if (fields.length !== header.length) {
      throw new InputError(
        `${COMPONENT}: expected ${header.length} columns ${header.join(',')}, got ${fields.length}`,
        where,
      );
    }
    const youtubeId = at('youtube_id', fields) ?? '';
    if (!youtubeId)
      throw new InputError(`${COMPONENT}: expected a youtube_id, got an empty field`, where);
    const start = parseTime(at('time_start', fields) ?? '', 'time_start', where);
    const end = parseTime(at('time_end', fields) ?? '', 'time_end', where);
    if (end < start)
      throw new InputError(
        `${COMPONENT}: expected time_end >= time_start, got ${start}..${end}`,
        where,
      );
    const label = at('label', fields) || undefined;
    if (label !== undefined) {
      if (fixedClasses && !classIndex.has(label)) {
        throw new InputError(
          `${COMPONENT}: expected a label from the class list, got "${label}"`,
          where,
        );
      }
      seenLabels.add(label);
    }
    const split = normaliseSplit(at('split', fields) || options.split || 'all');
    const id = kineticsClipId(youtubeId, start, end);
    const labelDirs = label ? [label, label.replace(/ /g, '_')] : [];
    const stems = [id];
    for (const dir of labelDirs) stems.push(join(dir, id));
    for (const splitDir of splitFolders(split)) {
      stems.push(join(splitDir, id));
      for (const dir of labelDirs) stems.push(join(splitDir, dir, id));
    }
    // the clip id itself must stay inside the root; label/split folders are only places to look
    resolveInsideRoot(root, id, COMPONENT, where, confine);
    const safeStems = stems.filter((stem) => {
      const rel = relative(root, resolve(root, stem));
      return !rel.startsWith('..') && !isAbsolute(rel);
    });
    const found =
      missingPolicy === 'unchecked' ? undefined : findVideo(root, [...new Set(safeStems)]);
    if (!found && missingPolicy !== 'unchecked') {
      reported.push({
        id,
        where,
        reason: `no ${id}.mp4 (or .mkv/.webm/.avi/.mov) under ${root} or its label/split folders`,
      });
      if (missingPolicy !== 'keep') continue;
    }
    const path = resolveInsideRoot(root, found ?? `${id}.mp4`, COMPONENT, where, confine);
    pending.push({ id, path, label, split, duration: end - start, source: where });
  }
  if (!classes) {
    classes = [...seenLabels].sort();
    classes.forEach((name, index) => classIndex.set(name, index));
    notes.push(`classes: ${classes.length} labels found in the CSV, sorted`);
  }
  const items = pending.map(({ label, ...item }) => ({
    ...item,
    labels: label === undefined ? [] : [classIndex.get(label) as number],
  }));
  checkUniqueIds(COMPONENT, items);
  const missing = settleReported(COMPONENT, file, reported, missingPolicy);
  return { kind: 'kinetics', root, classes, multiLabel: false, items, missing, notes };
}
