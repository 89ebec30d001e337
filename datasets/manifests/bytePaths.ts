/**
 * File names are bytes, not text. A Linux file name need not be valid UTF-8, and a JS string
 * cannot hold such a name (decoding turns the bad bytes into U+FFFD, a different name). A path
 * that is valid UTF-8 is used as it is; any other becomes an alias: a symbolic link, named by the
 * SHA-256 of the real bytes, in a private folder under the temp dir, pointing at the real file.
 * Everything downstream (ffmpeg, workers, the cache) then reads the alias like any other path.
 */
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** True when `bytes` decode as UTF-8 and encode back to the same bytes. */
export function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Text for messages and ids: the UTF-8 text, with each undecodable byte written as `\xHH`. */
export function displayBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let at = 0;
  while (at < bytes.length) {
    // the longest valid UTF-8 run from `at`, else one escaped byte
    let end = Math.min(bytes.length, at + 4);
    let taken = false;
    for (; end > at; end--) {
      const piece = bytes.subarray(at, end);
      if (isUtf8(piece) && !piece.toString('utf8').includes('\uFFFD')) {
        out += piece.toString('utf8');
        at = end;
        taken = true;
        break;
      }
    }
    if (!taken) {
      out += `\\x${bytes[at]!.toString(16).padStart(2, '0')}`;
      at++;
    }
  }
  return out;
}

function aliasFolder(): string {
  const folder = join(tmpdir(), `assemblenet-names-${userInfo().uid}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return folder;
}

/**
 * A string path that opens the file named by the absolute path `bytes`: the path itself when it
 * is UTF-8, else an alias link to it (created once, reused while it still points there).
 */
export function pathFromBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const extension = /\.[A-Za-z0-9]{1,8}$/.exec(bytes.toString('latin1'))?.[0] ?? '';
  const alias = join(aliasFolder(), `${hash}${extension}`);
  try {
    if (lstatSync(alias).isSymbolicLink() && readlinkSync(alias, 'buffer').equals(bytes))
      return alias;
  } catch {
    // no alias yet
  }
  const temporary = `${alias}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  symlinkSync(bytes, temporary);
  renameSync(temporary, alias);
  return alias;
}

export interface DirectoryEntry {
  /** The name as text (undecodable bytes as `\xHH`). */
  name: string;
  /** A usable path (see pathFromBytes). */
  path: string;
  isDirectory: boolean;
  isFile: boolean;
}

/**
 * The entries of `dir` (hidden ones included), in byte order of their names, with symbolic
 * links followed for the kind.
 */
export function readDirectory(dir: string): DirectoryEntry[] {
  const base = Buffer.from(dir.endsWith('/') ? dir : `${dir}/`, 'utf8');
  return readdirSync(dir, { encoding: 'buffer' })
    .sort(Buffer.compare)
    .map((name) => {
      const full = Buffer.concat([base, name]);
      const stat = statSync(full, { throwIfNoEntry: false });
      return {
        name: displayBytes(name),
        path: pathFromBytes(full),
        isDirectory: stat?.isDirectory() ?? false,
        isFile: stat?.isFile() ?? false,
      };
    });
}
