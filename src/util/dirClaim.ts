/**
 * An exclusive claim on a directory between processes, also on machines that share the file
 * system: proper-lockfile's lock directory `<dir>.lock`, whose mtime a timer of the holder keeps
 * fresh. A holder that dies (killed, machine stopped) leaves a lock that turns stale `staleMs`
 * after its last refresh; the next claim then takes it over.
 *
 * Used where two processes must never write the same journal (experiment searches run by
 * several processes that each take the next unclaimed search).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import lockfile from 'proper-lockfile';

export interface DirClaim {
  /** The lock directory (`<dir>.lock`). */
  lockPath: string;
  release(): Promise<void>;
}

export interface ClaimOptions {
  /**
   * A lock not refreshed for this long belongs to a dead holder. The holder refreshes it every
   * staleMs / 2; a holder stopped for longer than staleMs (SIGSTOP, suspended machine) loses it.
   */
  staleMs: number;
  /** Called when this process lost its claim (its lock was taken over or removed). */
  onLost: (error: Error) => void;
}

/** Claims `dir` (created if missing), or returns null when another live holder has it. */
export async function tryClaimDir(dir: string, options: ClaimOptions): Promise<DirClaim | null> {
  if (!Number.isFinite(options.staleMs) || options.staleMs < 2000)
    throw new Error(`tryClaimDir: expected staleMs >= 2000, got ${options.staleMs}`);
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  try {
    const release = await lockfile.lock(path, {
      stale: options.staleMs,
      retries: 0,
      onCompromised: options.onLost,
    });
    return { lockPath: `${path}.lock`, release };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
    throw error;
  }
}
