import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ClipPool, defaultCacheDir, selectBackend } from '../../src/index.ts';
import { loadNetworkFromCheckpoint } from '../../src/networks/checkpointNetwork.ts';
import {
  CLASSIFY_FORMATS,
  DEFAULT_TOP_CLASSES,
  collectInputs,
  runClassifyJob,
  type ClassifyFormat,
} from '../jobs/classify.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';
import { DEFAULT_CLASSIFY_SHARD_SIZE } from '../queue/defaults.ts';

interface ClassifyFlags extends BackendFlag {
  checkpoint: string;
  out: string;
  format: ClassifyFormat;
  top?: number;
  clips?: number;
  workers?: number;
  cacheDir?: string;
  queue?: string;
  shardSize?: number;
  root?: string;
  allowMissing?: boolean;
  json?: boolean;
}

function formatFlag(value: string): ClassifyFormat {
  if (!(CLASSIFY_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `--format: expected ${CLASSIFY_FORMATS.join('|')}, got "${value}"`,
    );
  }
  return value as ClassifyFormat;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description(
      'classify videos with a checkpoint: one JSONL row per video, resumable; exit 1 iff a video failed',
    )
    .argument(
      '<inputs...>',
      'video files, folders (recursive: mp4/avi/mkv/webm/mov) or lists (.txt/.lst, one path per line)',
    )
    .requiredOption(
      '--checkpoint <dir>',
      'checkpoint: a step-* folder, a folder of them, or a train --out folder (newest step)',
    )
    .requiredOption(
      '--out <file>',
      'JSONL output; videos with a row from an earlier run are skipped (error rows are retried)',
    )
    .option(
      '--format <kind>',
      'also write FILE.csv (csv: video,label,score) or FILE.charades.txt (charades: id s_0 ... s_C-1)',
      formatFlag,
      'jsonl',
    )
    .option(
      '--top <k>',
      `classes listed per video (default ${DEFAULT_TOP_CLASSES})`,
      positiveInt('--top', 1000),
    )
    .option(
      '--clips <n>',
      "evenly spaced clips per video (default: the checkpoint's test clips)",
      positiveInt('--clips', 100),
    )
    .option(
      '--workers <n>',
      'decode/flow worker threads (default: the number of cores)',
      positiveInt('--workers', 256),
    )
    .option('--cache-dir <dir>', `clip cache (default: ${defaultCacheDir()})`)
    .option(
      '--queue <url>',
      'redis://[user:pass@]host:port[/db]: shards of videos are classified by `assemblenet worker` processes',
    )
    .option(
      '--shard-size <n>',
      `with --queue: videos per job (default ${DEFAULT_CLASSIFY_SHARD_SIZE})`,
      positiveInt('--shard-size'),
    )
    .option(
      '--root <dir>',
      'every video must lie in this folder (after symlinks); ids are paths relative to it',
    )
    .option(
      '--allow-missing',
      'list entries that name no file still get an error row, but do not make the exit code 1',
    )
    .option('--json', 'end with one JSON object on the last line')
    .addOption(backendOption())
    .action(async (inputs: string[], flags: ClassifyFlags) => {
      const collected = collectInputs(inputs, flags.root ? { root: flags.root } : {});
      const { videos } = collected;
      const backend = await selectBackend(flags.backend);
      const model = await loadNetworkFromCheckpoint(flags.checkpoint);
      process.stderr.write(
        `classify: ${videos.length} video(s) with ${model.checkpointPath} (${model.classes.length} classes), backend ${backend.chosen}\n`,
      );
      const cacheDir = resolve(flags.cacheDir ?? defaultCacheDir());
      const queue = flags.queue ? await import('../queue/index.ts') : undefined;
      const coordinator = queue && new queue.Coordinator({ url: flags.queue! });
      const pool = coordinator
        ? undefined
        : new ClipPool(flags.workers ? { workers: flags.workers } : {});
      try {
        const result = await runClassifyJob({
          model,
          videos,
          ids: collected.ids,
          out: flags.out,
          ...(pool ? { pool } : {}),
          ...(queue && coordinator
            ? {
                classifier: queue.queueClassifier(coordinator, {
                  videos,
                  checkpoint: model.checkpointPath,
                  cacheDir,
                  out: resolve(flags.out),
                  ...(flags.clips ? { clips: flags.clips } : {}),
                  ...(flags.top ? { top: flags.top } : {}),
                  ...(flags.shardSize ? { shardSize: flags.shardSize } : {}),
                }),
              }
            : {}),
          cacheDir,
          format: flags.format,
          ...(flags.top ? { top: flags.top } : {}),
          ...(flags.clips ? { clips: flags.clips } : {}),
        });
        if (result.repaired)
          process.stdout.write('repaired a torn last line in the output (a killed run)\n');
        for (const failure of result.failures)
          process.stdout.write(`failed: ${failure.video}: ${failure.error}\n`);
        process.stdout.write(
          `classify: ${result.ok} ok, ${result.skipped} skipped (already done), ${result.failed} failed` +
            `${result.retried ? ` (${result.retried} earlier error row(s) retried)` : ''} -> ${result.out}` +
            `${result.sideFile ? ` and ${result.sideFile}` : ''} in ${result.seconds.toFixed(1)} s\n`,
        );
        if (flags.json) writeJsonLine(result);
        const missing = new Set(collected.missing);
        const counted = flags.allowMissing
          ? result.failures.filter((failure) => !missing.has(failure.video))
          : result.failures;
        if (counted.length > 0) process.exitCode = 1;
      } finally {
        model.network.dispose();
        await pool?.destroy();
        await coordinator?.close();
      }
    });
}
