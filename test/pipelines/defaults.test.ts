/**
 * Each default is defined once: the pipeline file's stage defaults and the commands' --help
 * texts show the values of the modules that own them, not copies.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_SETTINGS, DEFAULT_STRATEGY } from '../../evolution/index.ts';
import { registerEvolve } from '../../pipelines/commands/evolve.ts';
import { registerTrain } from '../../pipelines/commands/train.ts';
import { PROXY_DEFAULTS } from '../../pipelines/jobs/evolve.ts';
import { RUN_CONFIG_DEFAULTS } from '../../pipelines/jobs/runConfig.ts';
import { parsePipeline } from '../../pipelines/run/spec.ts';
import { defaultWorkerCount } from '../../src/index.ts';

/** Each option's --help text (description and default), by long flag. */
function helpOf(register: (program: Command) => void, name: string): Map<string, string> {
  const program = new Command();
  register(program);
  const command = program.commands.find((c) => c.name() === name)!;
  const help = command.createHelp();
  return new Map(command.options.map((option) => [option.long!, help.optionDescription(option)]));
}

const pipeline = (stage: Record<string, unknown>) =>
  parsePipeline(
    { name: 't', out: 'runs/t', dataset: { spec: 'synthetic-motion' }, stages: [stage] },
    'test.json',
  ).stages[0]!;

describe('run settings', () => {
  it('train --help shows the schema defaults', () => {
    const help = helpOf(registerTrain, 'train');
    expect(help.get('--epochs')).toBe(`training epochs (default ${RUN_CONFIG_DEFAULTS.epochs})`);
    expect(help.get('--modules')).toMatch(/\(default 1,1,1,1\)$/);
    expect(help.get('--weight-decay')).toBe(
      `L2 weight decay (default ${RUN_CONFIG_DEFAULTS.weightDecay})`,
    );
  });
});

describe('evolution settings', () => {
  it('a pipeline evolve stage defaults to the search defaults', () => {
    const stage = pipeline({ stage: 'evolve', space: 's.json', budget: 3 });
    expect(stage).toMatchObject({
      strategy: DEFAULT_STRATEGY,
      population: DEFAULT_SEARCH_SETTINGS.populationSize,
      tournament: DEFAULT_SEARCH_SETTINGS.tournamentSize,
      batchSize: DEFAULT_SEARCH_SETTINGS.batchSize,
      pruneThreshold: DEFAULT_SEARCH_SETTINGS.pruneThreshold,
      structuralRate: DEFAULT_SEARCH_SETTINGS.structuralRate,
    });
  });

  it('evolve --help shows the search defaults, the worker count and the proxy training', () => {
    const help = helpOf(registerEvolve, 'evolve');
    const d = DEFAULT_SEARCH_SETTINGS;
    for (const [flag, value] of [
      ['--strategy', `"${DEFAULT_STRATEGY}"`],
      ['--selection', `"${d.selection}"`],
      ['--population', d.populationSize],
      ['--tournament', d.tournamentSize],
      ['--batch-size', d.batchSize],
      ['--prune-threshold', d.pruneThreshold],
      ['--structural-rate', d.structuralRate],
      ['--workers', defaultWorkerCount()],
    ] as const) {
      expect(help.get(flag), flag).toMatch(new RegExp(`default: (.*, )?${value}\\)`));
    }
    // the run-setting flags show the proxy training's values, not train's
    expect(PROXY_DEFAULTS).toEqual({ epochs: 3, testClips: 1 });
    expect(help.get('--epochs')).toBe('training epochs (default 3)');
    expect(help.get('--test-clips')).toBe('evenly spaced test clips per video (default 1)');
    expect(help.get('--frames')).toBe(`frames per clip (default ${RUN_CONFIG_DEFAULTS.frames})`);
  });
});
