import type { Command } from 'commander';
import { ClipPool, defaultCacheDir, readGenome, selectBackend } from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import { runTrainJob } from '../jobs/train.ts';
import { formatSummary } from '../jobs/summarize.ts';
import { parseRunConfig, type RunConfig } from '../../src/networks/runConfig.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';
import { addRunConfigOptions, runConfigFromFlags } from '../runConfigFlags.ts';

interface TrainFlags extends BackendFlag {
  genome: string;
  dataset: string;
  classes?: string;
  out: string;
  cacheDir?: string;
  workers?: number;
  threads?: number;
  resume?: boolean;
  evalSplit?: string;
  json?: boolean;
  report?: boolean;
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description(
      "train a genome's network on a dataset (checkpoints, --resume), then score it on the held-out split",
    )
    .requiredOption('--genome <file>', 'genome JSON (e.g. evolution/assemblenet-50.json)')
    .requiredOption(
      '--dataset <manifest>',
      'dataset manifest: Kinetics/Charades CSV, folder per class, or a list',
    )
    .requiredOption('--out <dir>', 'output folder: checkpoints/, metrics.jsonl, eval.json')
    .option('--classes <file>', 'class list (Charades: c000 name per line)')
    .option('--cache-dir <dir>', `clip cache (default: ${defaultCacheDir()})`)
    .option(
      '--workers <n>',
      'decode/flow worker threads (default: the number of cores)',
      positiveInt('--workers'),
    )
    .option(
      '--threads <n>',
      'wasm threads of the training step (default: ASSEMBLENET_THREADS, else the free cores)',
      positiveInt('--threads', 64),
    )
    .option('--eval-split <name>', 'held-out split to score at the end (default: val, else test)')
    .option('--resume', 'continue from the newest checkpoint in --out')
    .option('--json', 'end with one JSON object on the last line')
    .option(
      '--report',
      'write report.html (curves, eval, genome graph) into --out and print its path',
    )
    .addOption(backendOption());
  addRunConfigOptions(command);
  command.action(async (flags: TrainFlags & Partial<RunConfig>) => {
    const backend = await selectBackend(flags.backend, { threads: flags.threads });
    const config = parseRunConfig(runConfigFromFlags(flags), 'train');
    const genome = readGenome(flags.genome);
    const { manifest } = readManifest(
      flags.dataset,
      flags.classes ? { classes: flags.classes } : {},
    );
    process.stderr.write(
      `train: ${genome.name} on ${flags.dataset} (${manifest.items.length} videos, ${manifest.classes.length} classes), backend ${backend.chosen}\n`,
    );
    const pool = new ClipPool(flags.workers ? { workers: flags.workers } : {});
    try {
      const result = await runTrainJob({
        genome,
        manifest,
        config,
        out: flags.out,
        pool,
        cacheDir: flags.cacheDir ?? defaultCacheDir(),
        resume: Boolean(flags.resume),
        ...(flags.evalSplit ? { evalSplit: flags.evalSplit } : {}),
      });
      process.stdout.write(
        `trained ${result.steps} steps in ${result.seconds.toFixed(0)} s; checkpoint ${result.checkpoint}\n`,
      );
      if (result.eval)
        process.stdout.write(`${result.eval.split}: ${formatSummary(result.eval)}\n`);
      if (result.failed.length)
        process.stdout.write(
          `skipped ${result.failed.length} video(s) that could not be decoded\n`,
        );
      if (flags.report) {
        const { writeReport, commandMeta } = await import('../report/index.ts');
        process.stdout.write(
          `report: ${await writeReport(flags.out, commandMeta(backend.chosen, flags.dataset))}\n`,
        );
      }
      if (flags.json)
        writeJsonLine({
          checkpoint: result.checkpoint,
          steps: result.steps,
          seconds: result.seconds,
          ...result.eval,
          failed: result.failed,
        });
      result.network.dispose();
    } finally {
      await pool.destroy();
    }
  });
}
