import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, isBlock, safeParseGenome, type Genome } from '../../src/index.ts';
import {
  fromGenome,
  mutateEdges,
  randomGraph,
  readJournal,
  runSearch,
  toGenome,
  type Candidate,
  type EvaluationOutcome,
} from '../../evolution/index.ts';
import { SMALL_SPACE, testSearchSettings } from './fixtures.ts';

const space = SMALL_SPACE;

/** A deterministic stand-in for training: fitness and "learned" weights from the genome alone. */
function fakeEvaluate(candidate: Candidate): Promise<EvaluationOutcome> {
  const text = JSON.stringify(candidate.genome.nodes);
  const rng = Rng.fromSeed(text);
  const connectionWeights = candidate.genome.nodes.map((node) =>
    isBlock(node) ? node.inputs.map(() => rng.next()) : [],
  );
  // Rewards edges from the flow stem (index 2), so selection has something to find.
  const flowEdges = candidate.genome.nodes.filter(
    (node) => isBlock(node) && node.inputs.includes(2),
  ).length;
  const fitness = flowEdges / candidate.genome.nodes.length + 0.01 * rng.next();
  return new Promise((resolve) =>
    setTimeout(() => resolve({ fitness, connectionWeights }), 1 + (candidate.index % 3)),
  );
}

const settings = testSearchSettings({ seed: 7, budget: 12 });

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'evo-'));
}

describe('search space and graphs', () => {
  it('random graphs are valid, over-connected genomes for 50 seeds', () => {
    for (let seed = 0; seed < 50; seed++) {
      const { genome } = toGenome(randomGraph(space, Rng.fromSeed(seed)), space, `g${seed}`);
      const parsed = safeParseGenome(genome);
      expect(parsed.success, JSON.stringify(parsed)).toBe(true);
      const blocks = genome.nodes.filter(isBlock);
      expect(blocks.filter((node) => node.level === 3)).toHaveLength(1);
      for (const node of blocks) {
        const available = genome.nodes.filter(
          (other) => !isBlock(other) || other.level < node.level,
        ).length;
        expect(node.inputs.length).toBeGreaterThanOrEqual(
          Math.min(space.initialInputs[0], available),
        );
      }
    }
  });

  it('guided edge mutation drops inputs whose learned weight is below the threshold', () => {
    const { genome, keys } = toGenome(randomGraph(space, Rng.fromSeed(3)), space, 'p');
    const learned = genome.nodes.map((node) =>
      isBlock(node) ? node.inputs.map((_, k) => (k === 0 ? 0.9 : 0.1)) : [],
    );
    const graph = fromGenome(genome, keys, learned);
    const before = new Map(graph.nodes.map((node) => [node.key, node.inputs.map((e) => e.from)]));
    // No additions: a space whose fresh nodes want exactly one input.
    mutateEdges(
      graph,
      { ...space, initialInputs: [1, 1] },
      'guided',
      { pruneThreshold: 0.5, structuralRate: 0 },
      Rng.fromSeed(1),
    );
    for (const node of graph.nodes.filter((n) => n.level >= 0)) {
      expect(node.inputs.map((e) => e.from)).toEqual([before.get(node.key)![0]]);
    }
  });

  it('plain edge mutation drops as many inputs as guided would, at random', () => {
    const { genome, keys } = toGenome(randomGraph(space, Rng.fromSeed(4)), space, 'p');
    const learned = genome.nodes.map((node) =>
      isBlock(node) ? node.inputs.map((_, k) => (k === 0 ? 0.9 : 0.1)) : [],
    );
    const graph = fromGenome(genome, keys, learned);
    mutateEdges(
      graph,
      { ...space, initialInputs: [1, 1] },
      'plain',
      { pruneThreshold: 0.5, structuralRate: 0 },
      Rng.fromSeed(2),
    );
    for (const node of graph.nodes.filter((n) => n.level >= 0)) expect(node.inputs).toHaveLength(1);
  });
});

describe('runSearch', () => {
  it('journals every evaluation once and is independent of the worker count', async () => {
    const a = join(tmp(), 'journal.jsonl');
    const b = join(tmp(), 'journal.jsonl');
    const one = await runSearch({
      space,
      settings,
      journalFile: a,
      resume: false,
      workers: 1,
      evaluate: fakeEvaluate,
    });
    const two = await runSearch({
      space,
      settings,
      journalFile: b,
      resume: false,
      workers: 2,
      evaluate: fakeEvaluate,
    });
    expect(one.evaluations.map((r) => r.index)).toEqual([...Array(12).keys()]);
    expect(two.evaluations.map((r) => r.genome)).toEqual(one.evaluations.map((r) => r.genome));
    expect(two.population.map((r) => r.index)).toEqual(one.population.map((r) => r.index));
    expect(one.evaluations.filter((r) => r.parent !== null).length).toBe(8);
    // Selection finds better genomes than the initial population's best.
    const initialBest = Math.max(...one.evaluations.slice(0, 4).map((r) => r.fitness!));
    expect(one.best!.fitness!).toBeGreaterThanOrEqual(initialBest);
  });

  it('a run stopped mid-way (torn last line) resumes to the same result without repeats', async () => {
    const full = join(tmp(), 'journal.jsonl');
    const reference = await runSearch({
      space,
      settings,
      journalFile: full,
      resume: false,
      workers: 2,
      evaluate: fakeEvaluate,
    });

    const cut = join(tmp(), 'journal.jsonl');
    const abort = new AbortController();
    let calls = 0;
    await expect(
      runSearch({
        space,
        settings,
        journalFile: cut,
        resume: false,
        workers: 2,
        signal: abort.signal,
        evaluate: async (candidate, signal) => {
          if (++calls === 7) abort.abort(new Error('killed'));
          if (signal.aborted) throw new Error('killed');
          return fakeEvaluate(candidate);
        },
      }),
    ).rejects.toThrow('killed');
    appendFileSync(cut, '{"type":"evaluation","index":'); // a write torn by the kill
    const partial = readJournal(cut);
    expect(partial.tornBytes).toBeGreaterThan(0);
    const finished = partial.evaluations.length;
    expect(finished).toBeLessThan(12);

    const seen: number[] = [];
    const resumed = await runSearch({
      space,
      settings,
      journalFile: cut,
      resume: true,
      workers: 2,
      evaluate: (candidate) => (seen.push(candidate.index), fakeEvaluate(candidate)),
    });
    expect(resumed.ran).toBe(12 - finished);
    expect(new Set(seen).size).toBe(seen.length);
    const lines = readFileSync(cut, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; index?: number });
    const indices = lines
      .filter((l) => l.type === 'evaluation')
      .map((l) => l.index!)
      .sort((x, y) => x - y);
    expect(indices).toEqual([...Array(12).keys()]);
    expect(resumed.evaluations.map((r) => r.genome)).toEqual(
      reference.evaluations.map((r) => r.genome),
    );
    expect(resumed.population.map((r) => r.index)).toEqual(
      reference.population.map((r) => r.index),
    );
  });

  it('refuses to resume with different settings and to overwrite without --resume', async () => {
    const file = join(tmp(), 'journal.jsonl');
    await runSearch({
      space,
      settings: { ...settings, budget: 4 },
      journalFile: file,
      resume: false,
      workers: 1,
      evaluate: fakeEvaluate,
    });
    await expect(
      runSearch({
        space,
        settings: { ...settings, budget: 4 },
        journalFile: file,
        resume: false,
        workers: 1,
        evaluate: fakeEvaluate,
      }),
    ).rejects.toThrow(/--resume/);
    await expect(
      runSearch({
        space,
        settings: { ...settings, budget: 4, seed: 8 },
        journalFile: file,
        resume: true,
        workers: 1,
        evaluate: fakeEvaluate,
      }),
    ).rejects.toThrow(/settings of the journal/);
  });

  it('a failing candidate is recorded as failed and the search goes on', async () => {
    const file = join(tmp(), 'journal.jsonl');
    const result = await runSearch({
      space,
      settings: { ...settings, budget: 6 },
      journalFile: file,
      resume: false,
      workers: 2,
      evaluate: (candidate) =>
        candidate.index === 1
          ? Promise.reject(new Error('out of memory'))
          : fakeEvaluate(candidate),
    });
    expect(result.evaluations).toHaveLength(6);
    expect(result.evaluations[1]!.status).toBe('failed');
    expect(result.evaluations[1]!.error).toContain('out of memory');
  });

  it('random search makes only fresh genomes', async () => {
    const file = join(tmp(), 'journal.jsonl');
    const result = await runSearch({
      space,
      settings: { ...settings, strategy: 'random', budget: 6 },
      journalFile: file,
      resume: false,
      workers: 2,
      evaluate: fakeEvaluate,
    });
    expect(result.evaluations.every((r) => r.parent === null)).toBe(true);
    const genomes: Genome[] = result.evaluations.map((r) => r.genome);
    expect(new Set(genomes.map((g) => JSON.stringify(g.nodes))).size).toBe(6);
  });
});
