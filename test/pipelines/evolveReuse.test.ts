/**
 * pipelines/evolve/reuse.ts: a search takes over a sibling's evaluation of the same random genome
 * only when seed, genome, keys and proxy run config all match and nothing was inherited; any
 * difference trains the candidate. (Stored weights for inheriting searches: evolveKill.test.ts.) The sibling folders here are written by hand (journal and a
 * checkpoint.json); search.ts runs the real thing in searchClaim.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  makeCandidate,
  type Candidate,
  type EvaluationOutcome,
  type EvaluationRecord,
  type SearchSettings,
} from '../../evolution/index.ts';
import { reusingEvaluator } from '../../pipelines/evolve/reuse.ts';
import { parseRunConfig, type RunConfig } from '../../src/networks/runConfig.ts';
import { SMALL_SPACE, testSearchSettings } from '../evolution/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'anet-reuse-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SETTINGS = testSearchSettings({ seed: 3, budget: 8 });
const CONFIG = parseRunConfig({ epochs: 2, width: 0.25, seed: 3, testClips: 1 });
const candidate0 = makeCandidate(0, [], SMALL_SPACE, SETTINGS);
const candidate1 = makeCandidate(1, [], SMALL_SPACE, SETTINGS);

/** A sibling search folder holding one finished evaluation of `candidate`. */
function sibling(
  name: string,
  candidate: Candidate,
  options: { seed?: number; config?: RunConfig; record?: Partial<EvaluationRecord> } = {},
): string {
  const folder = join(root, name);
  const record: EvaluationRecord = {
    type: 'evaluation',
    index: candidate.index,
    genome: candidate.genome,
    keys: candidate.keys,
    parent: null,
    mutation: ['random'],
    status: 'ok',
    fitness: 0.735,
    connectionWeights: candidate.genome.nodes.map((node) =>
      'inputs' in node ? node.inputs.map(() => 0.4) : [],
    ),
    metrics: { top1: 0.735 },
    seconds: 180,
    finishedAt: '2026-11-30T09:00:00.000Z',
    ...options.record,
  };
  const header = {
    type: 'header',
    version: 1,
    settings: { ...SETTINGS, seed: options.seed ?? SETTINGS.seed, space: SMALL_SPACE },
    startedAt: '2026-11-30T08:00:00.000Z',
  };
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'journal.jsonl'),
    `${JSON.stringify(header)}\n${JSON.stringify(record)}\n`,
  );
  const dir = join(folder, 'candidates', `candidate-${candidate.index}`);
  const checkpoint = join(dir, 'checkpoints', 'step-00000020');
  mkdirSync(checkpoint, { recursive: true });
  // keys in another order than the config object's: equal values must still match
  const config = options.config ?? CONFIG;
  const shuffled = Object.fromEntries(Object.entries(config).reverse());
  writeFileSync(
    join(checkpoint, 'checkpoint.json'),
    JSON.stringify({ step: 20, options: { network: {}, config: shuffled } }),
  );
  writeFileSync(join(dir, 'eval.json'), '{"top1": 0.735}\n');
  return folder;
}

/** Runs the reusing evaluator on `candidate`; says whether it trained and what it returned. */
async function evaluateWith(
  folders: string[],
  candidate: Candidate,
  settings: SearchSettings = SETTINGS,
  target = join(root, `target-${Math.random().toString(36).slice(2)}`),
) {
  let trained = 0;
  const train = async (): Promise<EvaluationOutcome> => {
    trained++;
    return { fitness: 0.1, connectionWeights: [] };
  };
  const evaluate = reusingEvaluator(train, folders, { settings, config: CONFIG }, (c) =>
    join(target, `candidate-${c.index}`),
  );
  const outcome = await evaluate(candidate, new AbortController().signal);
  return { trained, outcome, target };
}

describe('reusingEvaluator', () => {
  it('takes over a matching evaluation: its outcome, a copy of its folder, and where it came from', async () => {
    const folder = sibling('match', candidate0);
    // a killed training of this candidate left a checkpoint behind
    const stray = join(root, 'target-match', 'candidate-0', 'checkpoints', 'step-00000005');
    mkdirSync(stray, { recursive: true });
    const { trained, outcome, target } = await evaluateWith(
      [join(root, 'missing'), folder],
      candidate0,
      SETTINGS,
      join(root, 'target-match'),
    );
    expect(existsSync(stray)).toBe(false);
    expect(trained).toBe(0);
    expect(outcome.fitness).toBe(0.735);
    expect(outcome.metrics).toEqual({ top1: 0.735 });
    expect(outcome.connectionWeights).toHaveLength(candidate0.genome.nodes.length);
    expect(outcome.reusedFrom).toBe(join(folder, 'candidates', 'candidate-0'));
    expect(readFileSync(join(target, 'candidate-0', 'eval.json'), 'utf8')).toContain('0.735');
  });

  it('trains when anything that decides the evaluation differs', async () => {
    expect(candidate1.genome.nodes).not.toEqual(candidate0.genome.nodes);
    const cases: [string, string, Candidate, SearchSettings?][] = [
      ['other search seed', sibling('seed', candidate0, { seed: 4 }), candidate0],
      [
        'other proxy config',
        sibling('config', candidate0, { config: { ...CONFIG, epochs: 3 } }),
        candidate0,
      ],
      [
        'inherited weights',
        sibling('inherited', candidate0, {
          record: { inheritance: { copiedValues: 1, totalValues: 2 } as never },
        }),
        candidate0,
      ],
      [
        'failed evaluation',
        sibling('failed', candidate0, { record: { status: 'failed', fitness: null } }),
        candidate0,
      ],
      // the sibling's record at index 1 holds candidate 0's genome
      ['other genome', sibling('genome', { ...candidate0, index: 1 } as Candidate), candidate1],
      [
        'a child (it has a parent)',
        sibling('child', candidate0),
        { ...candidate0, parent: {} as EvaluationRecord },
      ],
    ];
    for (const [what, folder, candidate, settings] of cases) {
      const { trained, outcome, target } = await evaluateWith([folder], candidate, settings);
      expect(trained, what).toBe(1);
      expect(outcome.reusedFrom, what).toBeUndefined();
      expect(existsSync(join(target, `candidate-${candidate.index}`)), what).toBe(false);
    }
  });

  it('needs a weights folder for a search that inherits weights', () => {
    expect(() =>
      reusingEvaluator(
        async () => ({ fitness: 0, connectionWeights: [] }),
        [],
        { settings: { ...SETTINGS, inheritWeights: true }, config: CONFIG },
        () => root,
      ),
    ).toThrow(/needs weightsDir/);
  });
});
