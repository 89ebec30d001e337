/**
 * Each default is defined once: the pipeline file's stage defaults and the commands' --help
 * texts show the values of the modules that own them, not copies.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_SETTINGS, DEFAULT_STRATEGY } from '../../evolution/index.ts';
import { registerClassify } from '../../pipelines/commands/classify.ts';
import { registerDistill } from '../../pipelines/commands/distill.ts';
import { registerEvolve } from '../../pipelines/commands/evolve.ts';
import { registerExtract } from '../../pipelines/commands/extract.ts';
import { registerTrain } from '../../pipelines/commands/train.ts';
import { registerWorker } from '../../pipelines/commands/worker.ts';
import { DEFAULT_TOP_CLASSES } from '../../pipelines/jobs/classify.ts';
import { DISTILL_DEFAULTS } from '../../pipelines/jobs/distill.ts';
import { PROXY_DEFAULTS } from '../../pipelines/jobs/evolve.ts';
import { RUN_CONFIG_DEFAULTS } from '../../src/networks/runConfig.ts';
import {
  DEFAULT_CLASSIFY_SHARD_SIZE,
  DEFAULT_EXTRACT_SHARD_SIZE,
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  DEFAULT_WORKER_CONCURRENCY,
} from '../../pipelines/queue/defaults.ts';
import { parsePipeline } from '../../pipelines/run/spec.ts';
import { KD_DEFAULTS, defaultWorkerCount } from '../../src/index.ts';

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

describe('distillation settings', () => {
  it('a pipeline distill stage defaults to the distill job defaults', () => {
    const stage = pipeline({ stage: 'distill', teacher: 'runs/x/teacher' });
    expect(stage).toMatchObject({
      latencyTarget: `${DISTILL_DEFAULTS.latencyTargetMs}ms`,
      budget: DISTILL_DEFAULTS.budget,
      searchEpochs: DISTILL_DEFAULTS.searchEpochs,
    });
  });

  it('distill --help shows the job, KD and run-setting defaults', () => {
    const help = helpOf(registerDistill, 'distill');
    for (const [flag, value] of [
      ['--latency-target', DISTILL_DEFAULTS.latencyTargetMs],
      ['--latency-ceiling', DISTILL_DEFAULTS.latencyCeiling],
      ['--w', DISTILL_DEFAULTS.w],
      ['--budget', DISTILL_DEFAULTS.budget],
      ['--epochs', DISTILL_DEFAULTS.searchEpochs],
      ['--search-loss', `"${DISTILL_DEFAULTS.searchLoss}"`],
      ['--feature-weight', DISTILL_DEFAULTS.featureWeight],
      ['--alpha', KD_DEFAULTS.alpha],
      ['--temperature', KD_DEFAULTS.temperature],
      ['--seed', RUN_CONFIG_DEFAULTS.seed],
    ] as const) {
      expect(help.get(flag), flag).toMatch(new RegExp(`\\(default: ${value}\\)$`));
    }
    // the job's own fallbacks are the same values
    expect(KD_DEFAULTS).toEqual({ alpha: 0.5, temperature: 4 });
    expect(DISTILL_DEFAULTS).toMatchObject({ ...KD_DEFAULTS, featureWeight: 0 });
  });
});

describe('classify and queue settings', () => {
  it('--help shows the job and queue defaults', () => {
    const classify = helpOf(registerClassify, 'classify');
    expect(classify.get('--top')).toBe(`classes listed per video (default ${DEFAULT_TOP_CLASSES})`);
    expect(classify.get('--shard-size')).toBe(
      `with --queue: videos per job (default ${DEFAULT_CLASSIFY_SHARD_SIZE})`,
    );
    const extract = helpOf(registerExtract, 'extract');
    // extract precomputes what training reads: the same clip settings by default
    for (const [flag, value] of [
      ['--flow', `"${RUN_CONFIG_DEFAULTS.flow}"`],
      ['--train-clips', RUN_CONFIG_DEFAULTS.trainClips],
      ['--frames', RUN_CONFIG_DEFAULTS.frames],
      ['--fps', `"${RUN_CONFIG_DEFAULTS.fps}"`],
      ['--size', RUN_CONFIG_DEFAULTS.size],
      ['--clips', RUN_CONFIG_DEFAULTS.testClips],
    ] as const) {
      expect(extract.get(flag), flag).toMatch(new RegExp(`default: ${value}\\)$`));
    }
    expect(extract.get('--shard-size')).toBe(
      `with --queue: videos per job (default ${DEFAULT_EXTRACT_SHARD_SIZE})`,
    );
    const worker = helpOf(registerWorker, 'worker');
    expect(worker.get('--lock-duration')).toMatch(
      new RegExp(`\\(default ${DEFAULT_LOCK_DURATION_MS}\\)$`),
    );
    expect(worker.get('--stalled-interval')).toMatch(
      new RegExp(`\\(default ${DEFAULT_STALLED_INTERVAL_MS}\\)$`),
    );
    expect(worker.get('--concurrency')).toMatch(
      new RegExp(`\\(default: ${DEFAULT_WORKER_CONCURRENCY}\\)$`),
    );
  });
});
