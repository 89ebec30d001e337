/**
 * Shared fixtures of the search tests: the shipped small two-stream search space, and search
 * settings written out once here (not the defaults: a change of defaults must not change what
 * these tests run), to be given a seed and budget.
 */
import { join } from 'node:path';
import { readSearchSpace, type SearchSettings } from '../../evolution/index.ts';

export const SMALL_SPACE = readSearchSpace(
  join(import.meta.dirname, '../../evolution/spaces/two-stream-small.json'),
);

/** Guided search, population 4, tournament 2, batches of 2, prune at 0.5, structural rate 0.5. */
export function testSearchSettings(
  overrides: Partial<SearchSettings> & Pick<SearchSettings, 'seed' | 'budget'>,
): SearchSettings {
  return {
    strategy: 'guided',
    populationSize: 4,
    tournamentSize: 2,
    selection: 'tournament',
    batchSize: 2,
    pruneThreshold: 0.5,
    structuralRate: 0.5,
    ...overrides,
  };
}
