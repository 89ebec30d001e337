import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.ts';
import { lineRef } from './paths.ts';

/** Reads a label file: one class name per line (blank lines and `#` comments skipped). */
export function readClassNames(file: string, component: string): string[] {
  const names: string[] = [];
  const seen = new Map<string, number>();
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const name = raw.trim();
      if (!name || name.startsWith('#')) return;
      const previous = seen.get(name);
      if (previous !== undefined) {
        throw new InputError(
          `${component}: expected unique class names, got "${name}" again (first on line ${previous})`,
          lineRef(file, index + 1),
        );
      }
      seen.set(name, index + 1);
      names.push(name);
    });
  if (names.length === 0)
    throw new InputError(`${component}: expected at least one class name, got none`, file);
  return names;
}

/** Reads a Charades classes file: `c000 Holding some clothes` per line. */
export function readCharadesClasses(file: string): { codes: string[]; names: string[] } {
  const codes: string[] = [];
  const names: string[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.trim();
      if (!line) return;
      const match = /^(c\d{3,})\s+(.+)$/.exec(line);
      if (!match) {
        throw new InputError(
          `charades classes: expected "cNNN name", got "${line.slice(0, 60)}"`,
          lineRef(file, index + 1),
        );
      }
      if (codes.includes(match[1])) {
        throw new InputError(
          `charades classes: expected unique codes, got ${match[1]} twice`,
          lineRef(file, index + 1),
        );
      }
      codes.push(match[1]);
      names.push(match[2].trim());
    });
  if (codes.length === 0)
    throw new InputError('charades classes: expected at least one class, got none', file);
  return { codes, names };
}
