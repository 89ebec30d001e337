/** Command-line flags for the run settings (`RunConfig`), shared by train and evolve. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { RUN_CONFIG_DEFAULTS, type RunConfig } from '../src/networks/runConfig.ts';

function numberFlag(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed))
      throw new InvalidArgumentError(`${name}: expected a number, got "${value}"`);
    return parsed;
  };
}

function modulesFlag(value: string): [number, number, number, number] {
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 1)) {
    throw new InvalidArgumentError(
      `--modules: expected 4 integers >= 1 like "1,1,1,1", got "${value}"`,
    );
  }
  return parts as [number, number, number, number];
}

function fpsFlag(value: string): number | 'native' {
  if (value === 'native') return value;
  return numberFlag('--fps')(value);
}

const FLAGS: {
  flag: string;
  key: keyof RunConfig;
  help: string;
  parse: (value: string) => unknown;
}[] = [
  {
    flag: '--frames <t>',
    key: 'frames',
    help: 'frames per clip',
    parse: numberFlag('--frames'),
  },
  {
    flag: '--size <px>',
    key: 'size',
    help: 'clip side after resize and centre crop',
    parse: numberFlag('--size'),
  },
  {
    flag: '--fps <rate>',
    key: 'fps',
    help: 'frame grid rate or "native"',
    parse: fpsFlag,
  },
  {
    flag: '--flow <method>',
    key: 'flow',
    help: 'optical flow: tvl1|farneback',
    parse: (v) => v,
  },
  {
    flag: '--flow-bound <px>',
    key: 'flowBound',
    help: 'flow magnitude (pixels/frame) stored at full scale; larger values clip',
    parse: numberFlag('--flow-bound'),
  },
  {
    flag: '--train-clips <n>',
    key: 'trainClips',
    help: 'training clip positions per video',
    parse: numberFlag('--train-clips'),
  },
  {
    flag: '--test-clips <n>',
    key: 'testClips',
    help: 'evenly spaced test clips per video',
    parse: numberFlag('--test-clips'),
  },
  {
    flag: '--shift <px>',
    key: 'shift',
    help: 'augmentation: largest random translation of a training clip in pixels',
    parse: numberFlag('--shift'),
  },
  {
    flag: '--width <m>',
    key: 'width',
    help: 'width multiplier of every layer',
    parse: numberFlag('--width'),
  },
  {
    flag: '--modules <list>',
    key: 'modules',
    help: 'residual modules per level, e.g. 1,1,1,1 or 3,4,6,3',
    parse: modulesFlag,
  },
  {
    flag: '--epochs <n>',
    key: 'epochs',
    help: 'training epochs',
    parse: numberFlag('--epochs'),
  },
  {
    flag: '--batch <n>',
    key: 'batch',
    help: 'clips per step',
    parse: numberFlag('--batch'),
  },
  {
    flag: '--lr <rate>',
    key: 'lr',
    help: 'peak learning rate of the cosine schedule',
    parse: numberFlag('--lr'),
  },
  {
    flag: '--warmup-epochs <n>',
    key: 'warmupEpochs',
    help: 'linear warm-up epochs',
    parse: numberFlag('--warmup-epochs'),
  },
  {
    flag: '--weight-decay <l2>',
    key: 'weightDecay',
    help: 'L2 weight decay',
    parse: numberFlag('--weight-decay'),
  },
  {
    flag: '--bn-momentum <m>',
    key: 'bnMomentum',
    help: 'batch-norm running-average decay',
    parse: numberFlag('--bn-momentum'),
  },
  {
    flag: '--seed <n>',
    key: 'seed',
    help: 'seed of weights, data order and clips',
    parse: numberFlag('--seed'),
  },
];

/**
 * Adds the run-setting flags; their help shows `defaults` (the command's own, e.g. evolve's
 * proxy training). No commander default is set: an absent flag stays absent, so the settings
 * it is merged over decide.
 */
export function addRunConfigOptions(
  command: Command,
  defaults: RunConfig = RUN_CONFIG_DEFAULTS,
): Command {
  for (const { flag, key, help, parse } of FLAGS) {
    const value = defaults[key];
    const shown = Array.isArray(value) ? value.join(',') : String(value);
    command.addOption(new Option(flag, `${help} (default ${shown})`).argParser(parse));
  }
  return command;
}

/** The run settings given on the command line (absent ones take the schema's defaults). */
export function runConfigFromFlags(
  flags: Partial<Record<keyof RunConfig, unknown>>,
): Partial<RunConfig> {
  const config: Record<string, unknown> = {};
  for (const { key } of FLAGS) if (flags[key] !== undefined) config[key] = flags[key];
  return config as Partial<RunConfig>;
}
