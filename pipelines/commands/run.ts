import type { Command } from 'commander';
import { selectBackend } from '../../src/index.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';
import { runPipeline } from '../run/runPipeline.ts';
import { readPipeline } from '../run/spec.ts';
import { formatPipelineSummary } from '../run/summaryTable.ts';

interface RunFlags extends BackendFlag {
  out?: string;
  cacheDir?: string;
  workers?: number;
  queue?: string;
  json?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<pipeline>', 'pipeline JSON (e.g. pipelines/demo.json)')
    .description(
      'run a pipeline file: generate -> extract -> evolve -> train -> classify -> summary (resumes where it stopped)',
    )
    .option('--out <dir>', "output folder (default: the pipeline's out)")
    .option('--cache-dir <dir>', 'clip cache (default: the user cache folder)')
    .option(
      '--workers <n>',
      'decode/flow worker threads, parallel evolution candidates and side-by-side train stages (default: the number of cores)',
      positiveInt('--workers'),
    )
    .option(
      '--queue <url>',
      "redis://... : evolve and classify stages use `assemblenet worker` processes (default: the file's queue)",
    )
    .option('--json', 'end with one JSON object on the last line')
    .addOption(backendOption())
    .action(async (file: string, flags: RunFlags) => {
      const backend = await selectBackend(flags.backend);
      process.env.ASSEMBLENET_BACKEND = backend.chosen;
      const spec = readPipeline(file);
      process.stderr.write(
        `run: pipeline ${spec.name} (${spec.stages.length} stages), backend ${backend.chosen}\n`,
      );
      const result = await runPipeline(spec, {
        ...(flags.out ? { out: flags.out } : {}),
        ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
        ...(flags.workers ? { workers: flags.workers } : {}),
        ...(flags.queue ? { queue: flags.queue } : {}),
      });
      process.stdout.write(`\n${formatPipelineSummary(result)}\n`);
      // The pictures of the run: written last, from what the stages left in the output folder.
      const { writeReport, commandMeta } = await import('../report/index.ts');
      const report = await writeReport(result.out, commandMeta(backend.chosen, result.manifest));
      process.stdout.write(`report: ${report}\n`);
      if (flags.json) {
        writeJsonLine({
          ...result,
          models: result.models.map(({ genome, ...m }) => ({ ...m, genome: genome.name })),
        });
      }
    });
}
