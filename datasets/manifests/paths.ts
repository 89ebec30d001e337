import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../src/errors.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Bytes variant of isInside, for real paths that may not be UTF-8. */
function isInsideBytes(root: Buffer, path: Buffer): boolean {
  if (path.equals(root)) return true;
  const prefix = root[root.length - 1] === 0x2f ? root : Buffer.concat([root, Buffer.from('/')]);
  return path.length > prefix.length && path.subarray(0, prefix.length).equals(prefix);
}

/**
 * Refuses `path` (absolute; a string, or bytes for names that are not UTF-8) unless it lies in
 * `root`, both lexically and after following symbolic links (when it exists).
 */
export function confineToRoot(
  root: string,
  path: string | Buffer,
  component: string,
  shown: string,
  where?: string,
): void {
  const absoluteRoot = resolve(root);
  // bytes are compared as latin1 text: one character per byte
  const lexicallyInside =
    typeof path === 'string'
      ? isInside(absoluteRoot, path)
      : isInside(Buffer.from(absoluteRoot, 'utf8').toString('latin1'), path.toString('latin1'));
  let realPath: Buffer | undefined;
  if (existsSync(path)) {
    // the real paths decide: they resolve `..` and every symbolic link (an alias link too);
    // the native realpath keeps names that are not UTF-8
    const realRoot = realpathSync.native(absoluteRoot, { encoding: 'buffer' });
    realPath = realpathSync.native(path, { encoding: 'buffer' });
    if (isInsideBytes(realRoot, realPath)) return;
  } else if (lexicallyInside) return;
  const link = lexicallyInside && realPath ? ` (a link to ${realPath.toString('utf8')})` : '';
  throw new InputError(
    `${component}: expected a path inside the root ${absoluteRoot} (--root), got "${shown}"${link}`,
    where,
  );
}

/**
 * Resolves `entry` (a name relative to `root`) and refuses one that leaves the root lexically
 * (`../`, an absolute path elsewhere): ids and clip names are names, not paths. With `confine`
 * (an explicit --root), symbolic links that lead out of the root are refused too.
 */
export function resolveInsideRoot(
  root: string,
  entry: string,
  component: string,
  where?: string,
  confine = true,
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
  if (confine) confineToRoot(absoluteRoot, path, component, entry, where);
  return path;
}

/** "file.csv:17" with the file's base name, the shape used in every reader error. */
export function lineRef(file: string, line: number): string {
  const parts = file.split(sep);
  return `${parts[parts.length - 1]}:${line}`;
}
