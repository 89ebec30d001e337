/**
 * The fuzz harness (pipelines/scripts/fuzz.ts, `npm run fuzz -- N`) on a few mutants: extract and
 * classify run as processes over damaged and intact videos; neither crashes, every file ends as
 * ok or one error row, no intact video is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MUTATION_KINDS, mutate, runFuzz } from '../../pipelines/scripts/fuzz.ts';

const dir = mkdtempSync(join(tmpdir(), 'anet-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('mutations', () => {
  const source = Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7) % 256));
  const small = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 5) % 256));
  it('are deterministic per seed, and each kind damages what it says', () => {
    for (const kind of MUTATION_KINDS) {
      const a = mutate(source, '.mp4', kind, seeded(3));
      const b = mutate(source, '.mp4', kind, seeded(3));
      expect(a.bytes.equals(b.bytes), kind).toBe(true);
      expect(a.extension, kind).toBe(b.extension);
      if (kind === 'container-swap') {
        expect(a.bytes.equals(source)).toBe(true);
        expect(a.extension).not.toBe('.mp4');
      } else if (kind === 'truncate') {
        expect(a.bytes.length).toBeLessThan(source.length);
      } else {
        expect(a.bytes.length, kind).toBe(source.length);
        expect(a.bytes.equals(source), kind).toBe(false);
      }
    }
    expect(source[0]).toBe(0); // the source itself is never modified
    // files smaller than a mutation's span (a 300-byte file) are mutated within their length
    for (const kind of MUTATION_KINDS)
      for (let seed = 1; seed < 20; seed++) mutate(small, '.avi', kind, seeded(seed));
  });
});

describe('runFuzz', () => {
  it('one mutant per kind: 0 job crashes, 0 good rows lost, every mutant accounted for in both jobs', async () => {
    const summary = await runFuzz({ count: MUTATION_KINDS.length, out: dir, log: () => {} });
    expect(summary.jobCrashes).toBe(0);
    expect(summary.goodLost).toBe(0);
    expect(summary.goodVideos).toBeGreaterThan(0);
    for (const kind of MUTATION_KINDS) {
      const k = summary.kinds[kind];
      expect(k.mutants, kind).toBe(1);
      expect(k.unaccounted, kind).toBe(0);
      expect(k.extractOk + k.extractError, kind).toBe(1);
      expect(k.classifyOk + k.classifyError, kind).toBe(1);
    }
    // exit 1: some mutants failed (reported), never a crash code
    expect([0, 1]).toContain(summary.extract.status);
    expect([0, 1]).toContain(summary.classify.status);
  }, 600_000); // a one-epoch training and two CLI processes
});
