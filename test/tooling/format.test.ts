import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm test` runs `biome check .` before the suite; this shows that check can fail.
const repo = resolve(import.meta.dirname, '../..');
const biome = join(repo, 'node_modules/.bin/biome');
const dir = mkdtempSync(join(tmpdir(), 'an-format-'));
copyFileSync(join(repo, 'biome.json'), join(dir, 'biome.json'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(source: string): { ok: boolean; output: string } {
  writeFileSync(join(dir, 'sample.ts'), source);
  try {
    const output = execFileSync(biome, ['check', '--vcs-enabled=false', 'sample.ts'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string };
    return { ok: false, output: failed.stdout + failed.stderr };
  }
}

describe('biome check (the lint/format step of npm test)', () => {
  it('passes a file in the house format', () => {
    expect(check('export const clipFrames = [1, 2, 3];\n').ok).toBe(true);
  });

  it('fails on a misformatted file and names it', () => {
    const result = check('export const clipFrames = [ 1,2,3 ]\n');
    expect(result.ok).toBe(false);
    expect(result.output).toContain('sample.ts');
  });

  it('fails on a lint error', () => {
    const result = check('export function f(x: number) {\n  let y;\n  y = x;\n  return y;\n}\n');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/noImplicitAnyLet/);
  });
});
