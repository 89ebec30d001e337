import { Command } from 'commander';
import { AssembleNetError } from '../src/index.ts';
import { registerClassify } from './commands/classify.ts';
import { registerDataset } from './commands/dataset.ts';
import { registerDistill } from './commands/distill.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEval } from './commands/eval.ts';
import { registerExtract } from './commands/extract.ts';
import { registerFlow } from './commands/flow.ts';
import { registerScore } from './commands/score.ts';
import { registerTrain } from './commands/train.ts';
import { registerEvolve } from './commands/evolve.ts';
import { registerRun } from './commands/run.ts';

/** The `assemblenet` program: one module per command under pipelines/commands. */
export function buildProgram(): Command {
  const program = new Command('assemblenet')
    .description('Video understanding with evolved multi-stream (2+1)D networks (AssembleNet)')
    .version('0.1.0')
    .showHelpAfterError();
  registerDoctor(program);
  registerDataset(program);
  registerExtract(program);
  registerFlow(program);
  registerScore(program);
  registerTrain(program);
  registerEvolve(program);
  registerDistill(program);
  registerRun(program);
  registerEval(program);
  registerClassify(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof AssembleNetError) {
      process.stderr.write(`assemblenet: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
