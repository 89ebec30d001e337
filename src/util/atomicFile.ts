/**
 * Atomic file writes with one guarantee: the bytes go to a unique temporary file beside the
 * target, are fsynced, and the temporary file is renamed over the target. A reader sees the old
 * file or the new one, never a torn one, and a crash after the rename keeps the new bytes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';

function temporaryPath(path: string): string {
  return `${path}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`;
}

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  try {
    const fd = openSync(temporary, 'w');
    try {
      const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      let written = 0;
      while (written < data.byteLength)
        written += writeSync(fd, data, written, data.byteLength - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export async function writeFileAtomicAsync(
  path: string,
  bytes: Uint8Array | string,
): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** `value` as pretty-printed JSON with a final newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
