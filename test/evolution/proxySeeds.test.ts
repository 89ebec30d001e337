import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBlock } from '../../src/index.ts';
import {
  evaluateOverSeeds,
  fileSeedOutcomeStore,
  meanOutcome,
  readJournal,
  runSearch,
  type Candidate,
  type EvaluationOutcome,
  type SeededEvaluator,
} from '../../evolution/index.ts';
import { SMALL_SPACE, testSearchSettings } from './fixtures.ts';

const space = SMALL_SPACE;
const settings = testSearchSettings({ seed: 3, budget: 8, proxySeeds: 3 });
const tmp = () => mkdtempSync(join(tmpdir(), 'proxy-seeds-'));

/** Fitness depends on the genome and the seed: index / 10 + seed / 100; weights likewise. */
function seeded(calls: string[]): SeededEvaluator {
  return async (candidate, seed) => {
    calls.push(`${candidate.index}:${seed}`);
    return {
      fitness: candidate.genome.nodes.length / 100 + seed / 1000,
      connectionWeights: candidate.genome.nodes.map((node) =>
        isBlock(node) ? node.inputs.map((_, i) => (i + seed) / 10) : [],
      ),
      metrics: { steps: 10 + seed },
    };
  };
}

describe('proxy seeds: fitness = mean of K trainings', () => {
  it('means fitness, connection weights and metrics, and keeps each seed fitness', () => {
    const outcomes: EvaluationOutcome[] = [
      { fitness: 0.2, connectionWeights: [[], [0.1, 0.9]], metrics: { top1: 0.2, steps: 4 } },
      { fitness: 0.5, connectionWeights: [[], [0.3, 0.5]], metrics: { top1: 0.5, steps: 4 } },
    ];
    const m = meanOutcome(outcomes);
    expect(m.fitness).toBeCloseTo(0.35, 12);
    expect(m.seedFitness).toEqual([0.2, 0.5]);
    expect(m.connectionWeights[1]![0]).toBeCloseTo(0.2, 12);
    expect(m.connectionWeights[1]![1]).toBeCloseTo(0.7, 12);
    expect(m.metrics).toEqual({ top1: 0.35, steps: 4 });
    expect(() =>
      meanOutcome([outcomes[0]!, { fitness: 0.1, connectionWeights: [[], [0.2]] }]),
    ).toThrow(/node 1 edge 1 is missing/);
    expect(() => evaluateOverSeeds(seeded([]), 0)).toThrow(/whole number >= 1, got 0/);
  });

  it('K = 1 is one training, unchanged (no seedFitness)', async () => {
    const calls: string[] = [];
    const evaluate = evaluateOverSeeds(seeded(calls), 1);
    const candidate = { index: 2, genome: { nodes: [] } } as unknown as Candidate;
    const outcome = await evaluate(candidate, new AbortController().signal);
    expect(calls).toEqual(['2:0']);
    expect(outcome.seedFitness).toBeUndefined();
  });

  it('a search journals the mean and each seed, refuses to resume with another K, and a kill inside a candidate retrains only the seeds that had not ended', async () => {
    const dir = tmp();
    const journalFile = join(dir, 'journal.jsonl');
    const store = fileSeedOutcomeStore((c) => join(dir, 'candidates', `candidate-${c.index}`));
    const calls: string[] = [];
    const kill = new AbortController();
    const inner = seeded(calls);
    // the run dies during candidate 5's second seed
    const dying: SeededEvaluator = async (candidate, seed, signal) => {
      if (candidate.index === 5 && seed === 1) {
        kill.abort(new Error('killed'));
        throw new Error('killed');
      }
      return inner(candidate, seed, signal);
    };
    await expect(
      runSearch({
        space,
        settings,
        journalFile,
        resume: false,
        workers: 1,
        evaluate: evaluateOverSeeds(dying, 3, store),
        signal: kill.signal,
      }),
    ).rejects.toThrow(/killed/);
    expect(readJournal(journalFile).evaluations.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(calls).toContain('5:0');

    calls.length = 0;
    const resumed = await runSearch({
      space,
      settings,
      journalFile,
      resume: true,
      workers: 1,
      evaluate: evaluateOverSeeds(inner, 3, store),
    });
    // candidate 5's first seed came from its stored outcome; no finished candidate ran again
    expect(calls.filter((c) => c.startsWith('5:'))).toEqual(['5:1', '5:2']);
    expect(calls.some((c) => Number(c.split(':')[0]) < 5)).toBe(false);

    // the same search uninterrupted gives the same journal (fitness, seeds, genomes)
    const clean = tmp();
    const straight = await runSearch({
      space,
      settings,
      journalFile: join(clean, 'journal.jsonl'),
      resume: false,
      workers: 2,
      evaluate: evaluateOverSeeds(seeded([]), 3),
    });
    const strip = (rs: typeof straight.evaluations) =>
      rs.map((r) => ({ i: r.index, f: r.fitness, s: r.seedFitness, g: r.genome.nodes }));
    expect(strip(resumed.evaluations)).toEqual(strip(straight.evaluations));
    for (const record of resumed.evaluations) {
      expect(record.seedFitness).toHaveLength(3);
      const mean = record.seedFitness!.reduce((a, b) => a + b, 0) / 3;
      expect(record.fitness).toBeCloseTo(mean, 12);
    }
    const header = JSON.parse(readFileSync(journalFile, 'utf8').split('\n')[0]!);
    expect(header.settings.proxySeeds).toBe(3);

    await expect(
      runSearch({
        space,
        settings: { ...settings, proxySeeds: 2 },
        journalFile,
        resume: true,
        workers: 1,
        evaluate: evaluateOverSeeds(inner, 2, store),
      }),
    ).rejects.toThrow(/--resume expected the settings of the journal/);
  });

  it('the file store ignores an entry made for another genome and a torn file', () => {
    const dir = tmp();
    const store = fileSeedOutcomeStore(() => dir);
    const a = { index: 1, genome: { nodes: [{ stem: 'rgb' }] } } as unknown as Candidate;
    const b = { index: 1, genome: { nodes: [{ stem: 'flow' }] } } as unknown as Candidate;
    store.write(a, 0, { fitness: 0.4, connectionWeights: [[]] });
    expect(store.read(a, 0)?.fitness).toBe(0.4);
    expect(store.read(b, 0)).toBeUndefined();
    writeFileSync(join(dir, 'seed-0.json'), '{"genome": ');
    expect(store.read(a, 0)).toBeUndefined();
  });
});
