import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { InputError } from '../../src/index.ts';
import { readClassNames } from './classes.ts';
import { normaliseSplit } from './locate.ts';
import { lineRef, resolveInsideRoot } from './paths.ts';
import type { Manifest, ManifestItem, ManifestOptions } from './types.ts';

const COMPONENT = 'video list';

interface ListRow {
  path: string;
  labelTokens: string[];
  line: number;
}

function splitLine(text: string, root: string): { path: string; label?: string } {
  if (text.includes('\t')) {
    const [path, ...rest] = text.split('\t');
    return { path: path.trim(), label: rest.join(' ').trim() || undefined };
  }
  // A whole line naming an existing file is a path alone, even with spaces in it.
  if (existsSync(resolve(root, text))) return { path: text };
  const match = /^(.*\S)\s+(\S+)$/.exec(text);
  return match ? { path: match[1], label: match[2] } : { path: text };
}

/**
 * Reads a plain list: `path label` per line (labels: class names, or integer indices into the
 * classes file; several labels separated by commas make the set multi-label), or `path` alone
 * for inference. Paths are relative to the root (default: the list's folder). `#` starts a comment.
 */
export function readVideoList(file: string, options: ManifestOptions = {}): Manifest {
  const root = resolve(options.root ?? dirname(file));
  const rows: ListRow[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const text = raw.trim();
      if (!text || text.startsWith('#')) return;
      const { path, label } = splitLine(text, root);
      rows.push({
        path,
        labelTokens: label ? label.split(',').filter(Boolean) : [],
        line: index + 1,
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
  const missingPolicy = options.missing ?? 'skip';
  const missing: string[] = [];
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
    const path = resolveInsideRoot(root, row.path, COMPONENT, where);
    if (!existsSync(path)) {
      if (missingPolicy === 'error')
        throw new InputError(`${COMPONENT}: expected an existing video, got "${row.path}"`, where);
      if (missingPolicy === 'skip') {
        missing.push(`${row.path} (${where})`);
        continue;
      }
    }
    items.push({
      id: relative(root, path).replace(/\.[^.]+$/, ''),
      path,
      labels,
      split: normaliseSplit(options.split ?? 'all'),
      source: where,
    });
  }
  const multiLabel = rows.some((row) => row.labelTokens.length > 1);
  return { kind: 'list', root, classes, multiLabel, items, missing, notes };
}
