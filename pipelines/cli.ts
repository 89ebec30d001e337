import { Command, CommanderError } from 'commander';
import { EXIT_CODES, reportCrash } from './crash.ts';
import { PACKAGE_VERSION } from '../src/version.ts';

type Register = (program: Command) => void;

/**
 * Every command, loaded only when it runs: `assemblenet --help` and light commands such as `score`
 * never pay for the whole tfjs bundle. One row per command; `summary` is what top-level help shows.
 * A command whose module loads no tfjs can also be listed in cliLight.ts: it is then prebuilt to
 * plain JavaScript and starts without tsx.
 */
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Register> }[] =
  Object.freeze([
    {
      name: 'doctor',
      summary:
        'versions, backend choice, ffmpeg/ffprobe and a forward+backward check of the (2+1)D op',
      load: async () => (await import('./commands/doctor.ts')).registerDoctor,
    },
    {
      name: 'dataset',
      summary: 'generate or inspect datasets (synthetic sets of real H.264 videos)',
      load: async () => (await import('./commands/dataset.ts')).registerDataset,
    },
    {
      name: 'extract',
      summary: 'decode clips and compute optical flow in the worker pool into the clip cache',
      load: async () => (await import('./commands/extract.ts')).registerExtract,
    },
    {
      name: 'flow',
      summary: 'optical flow between two images, written as Middlebury .flo',
      load: async () => (await import('./commands/flow.ts')).registerFlow,
    },
    {
      name: 'score',
      summary: 'score predictions from any model against a manifest',
      load: async () => (await import('./commands/score.ts')).registerScore,
    },
    {
      name: 'train',
      summary: "train a genome's network on a dataset, resumable, scored on the held-out split",
      load: async () => (await import('./commands/train.ts')).registerTrain,
    },
    {
      name: 'evolve',
      summary: 'connectivity evolution guided by learned connection weights, resumable',
      load: async () => (await import('./commands/evolve.ts')).registerEvolve,
    },
    {
      name: 'distill',
      summary: 'KD-guided, latency-aware search of compact students for a trained teacher',
      load: async () => (await import('./commands/distill.ts')).registerDistill,
    },
    {
      name: 'run',
      summary: 'run a pipeline file (stages and their parameters), e.g. pipelines/demo.json',
      load: async () => (await import('./commands/run.ts')).registerRun,
    },
    {
      name: 'eval',
      summary: 'multi-clip testing of a checkpoint: top-1/top-5/mean class accuracy, or mAP',
      load: async () => (await import('./commands/eval.ts')).registerEval,
    },
    {
      name: 'classify',
      summary: 'the batch job: one JSONL row per video, resumable, bad videos as error rows',
      load: async () => (await import('./commands/classify.ts')).registerClassify,
    },
    {
      name: 'report',
      summary: 'an HTML report of an output folder: genome graphs, curves, search plots',
      load: async () => (await import('./commands/report.ts')).registerReport,
    },
    {
      name: 'worker',
      summary: 'take evolve/classify/extract jobs from a Redis queue (BullMQ), one process per job',
      load: async () => (await import('./commands/worker.ts')).registerWorker,
    },
    {
      name: 'queue',
      summary: 'queue status: waiting / active / failed jobs of the Redis queue',
      load: async () => (await import('./commands/queue.ts')).registerQueue,
    },
  ]);

export const COMMAND_NAMES: readonly string[] = COMMANDS.map((command) => command.name);

function createProgram(): Command {
  return new Command('assemblenet')
    .description('Video understanding with evolved multi-stream (2+1)D networks (AssembleNet)')
    .version(PACKAGE_VERSION)
    .showHelpAfterError();
}

/** The whole program with every command registered (tests, shell completion). */
export async function buildProgram(): Promise<Command> {
  const program = createProgram();
  for (const command of COMMANDS) (await command.load())(program);
  return program;
}

/** Register functions already in memory, by command name (the prebuilt light entry's). */
export type Preloaded = Readonly<Record<string, Register>>;

/** The command an invocation runs (`assemblenet NAME ...` or `assemblenet help NAME`), if any. */
export function commandOf(argv: readonly string[]): string | undefined {
  const name = argv[2] === 'help' ? argv[3] : argv[2];
  return COMMANDS.find((command) => command.name === name)?.name;
}

/**
 * The program for one invocation: only the command named in `argv` is loaded (from `preloaded`
 * when it is there); without one, the commands are listed by name and summary (their own `--help`
 * loads them).
 */
export async function programFor(
  argv: readonly string[],
  preloaded: Preloaded = {},
): Promise<Command> {
  const program = createProgram();
  const named = COMMANDS.find((command) => command.name === commandOf(argv));
  if (named) {
    (preloaded[named.name] ?? (await named.load()))(program);
    return program;
  }
  for (const command of COMMANDS) program.command(command.name).description(command.summary);
  return program;
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap((sub) => everyCommand(sub))];
}

/**
 * Runs one invocation. Errors end here: one line on stderr and a documented exit code
 * (pipelines/crash.ts EXIT_CODES); commander's usage errors exit with EXIT_CODES.input.
 */
export async function main(argv: string[], preloaded: Preloaded = {}): Promise<void> {
  try {
    const program = await programFor(argv, preloaded);
    for (const command of everyCommand(program)) command.exitOverride();
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its message (or the help / version)
      process.exitCode = error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.input;
      return;
    }
    process.exitCode = reportCrash(error, argv);
  }
}
