import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../src/index.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves `entry` (relative to `root`, or absolute) and refuses anything outside the root:
 * `../` segments, absolute paths elsewhere, and symlinks whose target leaves the root.
 */
export function resolveInsideRoot(
  root: string,
  entry: string,
  component: string,
  where?: string,
): string {
  const absoluteRoot = resolve(root);
  if (entry.includes('\0'))
    throw new InputError(`${component}: expected a path, got one with a NUL byte`, where);
  const path = resolve(absoluteRoot, entry);
  if (!isInside(absoluteRoot, path)) {
    throw new InputError(
      `${component}: expected a path inside the dataset root ${absoluteRoot}, got "${entry}"`,
      where,
    );
  }
  if (existsSync(path)) {
    const realRoot = realpathSync(absoluteRoot);
    const realPath = realpathSync(path);
    if (!isInside(realRoot, realPath)) {
      throw new InputError(
        `${component}: expected a path inside the dataset root ${absoluteRoot}, got "${entry}" (a link to ${realPath})`,
        where,
      );
    }
  }
  return path;
}

/** "file.csv:17" with the file's base name, the shape used in every reader error. */
export function lineRef(file: string, line: number): string {
  const parts = file.split(sep);
  return `${parts[parts.length - 1]}:${line}`;
}
