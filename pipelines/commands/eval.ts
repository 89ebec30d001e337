import type { Command } from 'commander';
import { ClipPool, defaultCacheDir, selectBackend } from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import { runEvalJob } from '../jobs/eval.ts';
import { formatSummary } from '../jobs/summarize.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';

interface EvalFlags extends BackendFlag {
  checkpoint: string;
  dataset: string;
  classes?: string;
  split?: string;
  clips?: number;
  cacheDir?: string;
  workers?: number;
  out?: string;
  allowMissing?: boolean;
  json?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("score a checkpoint on a manifest's test split (else val) with multi-clip testing")
    .requiredOption(
      '--checkpoint <dir>',
      'checkpoint: a step-* folder, a folder of them, or a train --out folder (newest step)',
    )
    .requiredOption(
      '--dataset <manifest>',
      'dataset manifest: Kinetics/Charades CSV, folder per class, or a list',
    )
    .option('--classes <file>', 'class list (Charades: c000 name per line)')
    .option('--split <name>', 'split to score (default: test, else val)')
    .option(
      '--clips <n>',
      "evenly spaced clips per video (default: the checkpoint's test clips)",
      positiveInt('--clips'),
    )
    .option('--cache-dir <dir>', `clip cache (default: ${defaultCacheDir()})`)
    .option(
      '--workers <n>',
      'decode/flow worker threads (default: the number of cores)',
      positiveInt('--workers'),
    )
    .option('--out <file>', 'metrics JSON (default: <checkpoint root>/eval-<split>.json)')
    .option(
      '--allow-missing',
      'skip manifest rows that name no video (e.g. a copy holding only the test videos)',
    )
    .option('--json', 'end with one JSON object on the last line')
    .addOption(backendOption())
    .action(async (flags: EvalFlags) => {
      const backend = await selectBackend(flags.backend);
      const { manifest } = readManifest(flags.dataset, {
        ...(flags.classes ? { classes: flags.classes } : {}),
        ...(flags.allowMissing ? { missing: 'skip' as const } : {}),
      });
      process.stderr.write(
        `eval: ${flags.checkpoint} on ${flags.dataset} (${manifest.items.length} videos), backend ${backend.chosen}\n`,
      );
      if (manifest.missing.length > 0) {
        process.stderr.write(
          `eval: note: ${manifest.missing.length} manifest row(s) have no video file and are not scored (first: ${manifest.missing[0]})\n`,
        );
      }
      const pool = new ClipPool(flags.workers ? { workers: flags.workers } : {});
      try {
        const result = await runEvalJob({
          checkpoint: flags.checkpoint,
          manifest,
          cacheDir: flags.cacheDir ?? defaultCacheDir(),
          pool,
          ...(flags.split ? { split: flags.split } : {}),
          ...(flags.clips ? { clips: flags.clips } : {}),
          ...(flags.out ? { out: flags.out } : {}),
        });
        process.stdout.write(
          `${result.split} (${result.clips} clips/video, step ${result.step}): ${formatSummary(result)}\n`,
        );
        if (result.failed.length > 0) {
          process.stdout.write(
            `left out ${result.failed.length} video(s) that could not be decoded: ${result.failed.map((f) => f.id).join(', ')}\n`,
          );
        }
        process.stdout.write(`metrics written to ${result.out}\n`);
        if (flags.json) {
          const { scores: _scores, ...record } = result;
          writeJsonLine(record);
        }
      } finally {
        await pool.destroy();
      }
    });
}
