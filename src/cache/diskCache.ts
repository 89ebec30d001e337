/**
 * The on-disk cache: entries named by a key (SHA-256 of everything that changes their bytes),
 * sharded as DIR/<namespace>/<key[0:2]>/<key>.bin, written atomically (tmp file + rename, so
 * several writers, threads or processes, never expose a partial file: the last rename wins and
 * both wrote the same bytes), verified on read (see entryFile.ts) and dropped when invalid.
 */
import type { Dirent } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  closeSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomicFile.ts';
import {
  decodeEntry,
  encodeEntry,
  readWholeFile,
  type ArraySpec,
  type DecodedEntry,
} from './entryFile.ts';

export const CACHE_DIR_ENV = 'ASSEMBLENET_CACHE_DIR';

/** `$ASSEMBLENET_CACHE_DIR`, else `$XDG_CACHE_HOME/assemblenet`, else `~/.cache/assemblenet`. */
export function defaultCacheDir(): string {
  if (process.env[CACHE_DIR_ENV]) return resolve(process.env[CACHE_DIR_ENV]!);
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg ? join(resolve(xdg), 'assemblenet') : join(homedir(), '.cache', 'assemblenet');
}

/**
 * How a video file is identified in cache keys.
 * - 'stat' (default): real path + size + mtime. Cheap; touching, replacing or moving the file
 *   invalidates its entries.
 * - 'content': size + SHA-256 of the first and last 64 KiB. Survives moves and copies (a shared
 *   cache across machines); an edit that keeps the size and leaves both ends unchanged is missed.
 */
export type FileIdentityMode = 'stat' | 'content';

export interface FileIdentity {
  mode: FileIdentityMode;
  size: number;
  path?: string;
  mtimeMs?: number;
  headTailSha256?: string;
}

const EDGE_BYTES = 64 * 1024;

export function fileIdentity(path: string, mode: FileIdentityMode = 'stat'): FileIdentity {
  const stats = statSync(path);
  if (mode === 'stat')
    return { mode, path: realpathSync(path), size: stats.size, mtimeMs: stats.mtimeMs };
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const edge = Buffer.alloc(Math.min(EDGE_BYTES, stats.size));
    readSync(fd, edge, 0, edge.length, 0);
    hash.update(edge);
    if (stats.size > EDGE_BYTES) {
      readSync(fd, edge, 0, edge.length, stats.size - edge.length);
      hash.update(edge);
    }
  } finally {
    closeSync(fd);
  }
  return { mode, size: stats.size, headTailSha256: hash.digest('hex') };
}

/** Canonical JSON (object keys sorted), so equal parameters give equal keys. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        ),
      );
    }
    return inner;
  });
}

/** SHA-256 (hex) of the canonical JSON of `parts`. */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

export type CacheRead<M> =
  | { status: 'hit'; entry: DecodedEntry<M> }
  | { status: 'miss' }
  | { status: 'invalid'; reason: string };

export class DiskCache {
  readonly dir: string;

  constructor(dir: string = defaultCacheDir()) {
    if (!dir) throw new InputError('cache: expected a cache directory, got an empty path');
    this.dir = resolve(dir);
  }

  pathFor(namespace: string, key: string): string {
    if (!/^[0-9a-f]{8,}$/.test(key))
      throw new InputError(`cache: expected a hex key, got "${key}"`);
    return join(this.dir, namespace, key.slice(0, 2), `${key}.bin`);
  }

  /** A verified entry, a miss, or an invalid one (truncated/corrupt; it is deleted). */
  read<M>(namespace: string, key: string): CacheRead<M> {
    const path = this.pathFor(namespace, key);
    const bytes = readWholeFile(path);
    if (!bytes) return { status: 'miss' };
    const check = decodeEntry<M>(bytes, key);
    if (check.ok) return { status: 'hit', entry: check.entry };
    removeQuietly(path);
    return { status: 'invalid', reason: `${path}: ${check.reason}` };
  }

  /**
   * Deletes temporary files older than `maxAgeMs` (left by writers that were killed mid-write,
   * e.g. a cancelled task's terminated worker); returns how many. Young ones may be in flight.
   */
  sweepTemporaries(maxAgeMs = 60 * 60 * 1000): number {
    let removed = 0;
    let entries: Dirent[];
    try {
      entries = readdirSync(this.dir, { recursive: true, withFileTypes: true });
    } catch {
      return 0; // no cache yet
    }
    const cutoff = Date.now() - maxAgeMs;
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.tmp')) continue;
      const path = join(entry.parentPath, entry.name);
      try {
        if (statSync(path).mtimeMs < cutoff) {
          unlinkSync(path);
          removed++;
        }
      } catch {
        // renamed or removed meanwhile
      }
    }
    return removed;
  }

  /** Writes an entry atomically; returns its path. */
  write<M>(namespace: string, key: string, meta: M, arrays: readonly ArraySpec[] = []): string {
    const path = this.pathFor(namespace, key);
    writeFileAtomic(path, encodeEntry(key, meta, arrays));
    return path;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone (another reader removed it) or never written
  }
}
