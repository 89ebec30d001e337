/**
 * What a worker checks before it runs a job: every path the job names lies inside its --root
 * (symlinks resolved), and the files it reads are visible here. The data model is a filesystem
 * every worker mounts at the same path (docs/mechanisms/scale-out.md); a worker without that
 * mount fails the job with the path it could not see.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { JobPaths } from './kinds.ts';

/** The job names a path outside --root: refused, never retried. */
export class OutsideRootError extends Error {}

/** A file the job needs is not visible on this worker (retried: another worker may see it). */
export class NotVisibleError extends Error {}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The deepest existing ancestor of `path`, symlinks resolved, with the rest appended. */
function realish(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) break;
    tail.unshift(head.slice(parent.length).replace(/^\//, ''));
    head = parent;
  }
  return resolve(realpathSync(head), ...tail);
}

export function checkJobPaths(kind: string, paths: JobPaths, root: string): void {
  const realRoot = realpathSync(root);
  for (const path of [...paths.read, ...paths.write, ...(paths.other ?? [])]) {
    if (!isAbsolute(path) || !inside(realRoot, realish(path))) {
      throw new OutsideRootError(
        `${kind}: refused: ${path} is outside this worker's --root ${realRoot}`,
      );
    }
  }
  for (const path of paths.read) {
    if (!existsSync(path)) {
      throw new NotVisibleError(
        `${kind}: this worker cannot see ${path} (videos, caches and outputs must be on a filesystem every worker mounts at the same path)`,
      );
    }
  }
  for (const path of paths.write) {
    const parent = dirname(path);
    if (statSync(parent, { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new NotVisibleError(
        `${kind}: this worker cannot see the folder ${parent} it must write ${path} into (outputs must be on a filesystem every worker mounts at the same path)`,
      );
    }
  }
}
