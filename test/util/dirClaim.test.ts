import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tryClaimDir } from '../../src/util/dirClaim.ts';
import { until } from '../fixtures/until.ts';

const root = mkdtempSync(join(tmpdir(), 'an-claim-'));
const holder = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'holdClaim.ts');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const options = { staleMs: 2000, onLost: (error: Error) => expect.fail(error.message) };

/** A process that claims `dir` and keeps it until killed; resolves with what it printed. */
async function holdIn(dir: string): Promise<{ child: ChildProcess; said: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', holder, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let said = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    said += chunk.toString();
  });
  await until(() => said.includes('\n'), 'the holder to report', 30_000);
  return { child, said: said.trim() };
}

describe('tryClaimDir', () => {
  it('gives a directory to one claimant at a time and takes it back on release', async () => {
    const dir = join(root, 'a', 'search');
    const first = await tryClaimDir(dir, options);
    expect(first?.lockPath).toBe(`${dir}.lock`);
    expect(existsSync(dir)).toBe(true);
    expect(await tryClaimDir(dir, options)).toBeNull();
    await first!.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    const second = await tryClaimDir(dir, options);
    expect(second).not.toBeNull();
    await second!.release();
  });

  it('refuses a directory another live process holds, and takes it once that holder died and its lock went stale', async () => {
    const dir = join(root, 'b');
    const { child, said } = await holdIn(dir);
    expect(said).toBe('claimed');
    expect(await tryClaimDir(dir, options)).toBeNull();
    // the holder refreshes its lock: still refused after more than the stale time
    await new Promise((done) => setTimeout(done, 2500));
    expect(await tryClaimDir(dir, options)).toBeNull();
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
    await new Promise((done) => setTimeout(done, 2500));
    const claim = await tryClaimDir(dir, options);
    expect(claim).not.toBeNull();
    // and now another process is refused
    expect((await holdIn(dir)).said).toBe('busy');
    await claim!.release();
  }, 60_000);

  it('refuses a stale time below proper-lockfile minimum', async () => {
    await expect(tryClaimDir(join(root, 'c'), { ...options, staleMs: 500 })).rejects.toThrow(
      /staleMs >= 2000/,
    );
  });
});
