import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  InputError,
  formatDuration,
  MEDIA_BOUNDS,
  defaultCacheDir,
  extractDataset,
  type ClipStreamRequest,
  type ExtractSummary,
  type ExtractVideo,
  type FileIdentityMode,
} from '../../src/index.ts';
import { readManifest } from '../../datasets/manifests/read.ts';
import { writeJsonLine } from '../output.ts';
import { positiveInt } from '../options.ts';
import { createCountProgress } from '../countProgress.ts';
import { RUN_CONFIG_DEFAULTS } from '../../src/networks/runConfig.ts';
import { DEFAULT_EXTRACT_SHARD_SIZE } from '../queue/defaults.ts';

interface ExtractFlags {
  dataset: string;
  flow: 'tvl1' | 'farneback' | 'none';
  workers?: number;
  cacheDir?: string;
  clips: number;
  trainClips: number;
  frames: number;
  size: number;
  fps: number | 'native';
  streams?: string;
  split?: string;
  identity: FileIdentityMode;
  root?: string;
  allowMissing?: boolean;
  queue?: string;
  shardSize?: number;
  json?: boolean;
}

/** Upper bounds of the numeric flags: beyond them a run is a typo, not a plan. */
export const EXTRACT_FLAG_BOUNDS = Object.freeze({
  workers: 256,
  clips: 100,
  frames: 512,
  size: 1024,
  stride: 64,
  fps: MEDIA_BOUNDS.maxFrameRate,
});

function nonNegativeInt(name: string, max: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > max)
      throw new InvalidArgumentError(`${name}: expected an integer 0..${max}, got "${value}"`);
    return parsed;
  };
}

function parseFps(value: string): number | 'native' {
  if (value === 'native') return value;
  const fps = Number(value);
  if (!(fps > 0 && fps <= EXTRACT_FLAG_BOUNDS.fps))
    throw new InvalidArgumentError(
      `--fps: expected "native" or a rate in (0, ${EXTRACT_FLAG_BOUNDS.fps}], got "${value}"`,
    );
  return fps;
}

/**
 * "rgb:1,rgb:4,flow:2" -> streams (kind:stride), each `frames` long. A kind used once keeps its
 * plain name (rgb, flow); repeated kinds are named by stride (rgb_s1, rgb_s4).
 */
export function parseStreams(text: string, frames: number): ClipStreamRequest[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const parsed = parts.map((part) => {
    const match = /^(rgb|flow):(\d+)$/.exec(part);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > EXTRACT_FLAG_BOUNDS.stride) {
      throw new InputError(
        `--streams: expected kind:stride items (kind rgb|flow, stride 1..${EXTRACT_FLAG_BOUNDS.stride}) like "rgb:1,flow:2", got "${part}"`,
      );
    }
    return { kind: match[1] as 'rgb' | 'flow', stride: Number(match[2]) };
  });
  if (!parsed.length)
    throw new InputError('--streams: expected at least one kind:stride item, got none');
  return parsed.map(({ kind, stride }) => {
    const repeated = parsed.filter((p) => p.kind === kind).length > 1;
    return { name: repeated ? `${kind}_s${stride}` : kind, kind, frames, stride };
  });
}

export function formatExtractSummary(summary: ExtractSummary, reported: string[] = []): string {
  const lines = [
    `extract: ${summary.total} videos x ${summary.clipsPerVideo} clips in ${formatDuration(summary.elapsedMs / 1000)}: ` +
      `${summary.ok} ok, ${summary.cached} cached, ${summary.failed} failed` +
      (reported.length ? `, ${reported.length} manifest row(s) skipped (--allow-missing)` : ''),
    `cache:   ${summary.cacheDir}`,
  ];
  if (reported.length) {
    lines.push('skipped rows:');
    for (const row of reported) lines.push(`  ${row}`);
  }
  const recomputed = summary.videos.flatMap((v) => v.recomputed);
  if (recomputed.length) lines.push(`recomputed ${recomputed.length} damaged cache entries`);
  if (summary.failures.length) {
    lines.push('failed:');
    for (const failure of summary.failures) lines.push(`  ${failure.id}: ${failure.reason}`);
  }
  return lines.join('\n');
}

/** The same extraction through `assemblenet worker` processes (the cache on a shared filesystem). */
async function extractWithQueue(
  flags: ExtractFlags,
  items: readonly ExtractVideo[],
  streams: ClipStreamRequest[],
  onClips: (clips: number) => void,
): Promise<ExtractSummary> {
  const { Coordinator, extractThroughQueue } = await import('../queue/index.ts');
  const cacheDir = resolve(flags.cacheDir ?? defaultCacheDir());
  mkdirSync(cacheDir, { recursive: true });
  const coordinator = new Coordinator({ url: flags.queue! });
  try {
    return await extractThroughQueue(
      coordinator,
      items.map((item) => ({ ...item, path: resolve(item.path) })),
      {
        cacheDir,
        flow: flags.flow,
        clips: flags.clips,
        trainClips: flags.trainClips,
        frames: flags.frames,
        size: flags.size,
        fps: flags.fps,
        streams,
        identity: flags.identity,
      },
      flags.shardSize,
      (_videos, clips) => onClips(clips),
    );
  } finally {
    await coordinator.close();
  }
}

export function registerExtract(program: Command): void {
  program
    .command('extract')
    .description(
      'precompute decoded clips and optical flow of every video of a dataset into the cache',
    )
    .requiredOption(
      '--dataset <manifest>',
      'dataset manifest: Kinetics/Charades CSV, folder per class, or a list',
    )
    .addOption(
      new Option('--flow <method>', 'optical flow method')
        .choices(['tvl1', 'farneback', 'none'])
        .default(RUN_CONFIG_DEFAULTS.flow),
    )
    .option(
      '--workers <n>',
      'worker threads (default: the number of cores)',
      positiveInt('--workers', EXTRACT_FLAG_BOUNDS.workers),
    )
    .option('--cache-dir <dir>', `cache directory (default: ${defaultCacheDir()})`)
    .option(
      '--clips <n>',
      'evenly spaced test clips per video',
      nonNegativeInt('--clips', EXTRACT_FLAG_BOUNDS.clips),
      RUN_CONFIG_DEFAULTS.testClips,
    )
    .option(
      '--train-clips <n>',
      'seeded training clips per video (seeds 0..n-1)',
      nonNegativeInt('--train-clips', EXTRACT_FLAG_BOUNDS.clips),
      RUN_CONFIG_DEFAULTS.trainClips,
    )
    .option(
      '--frames <t>',
      'frames per stream',
      positiveInt('--frames', EXTRACT_FLAG_BOUNDS.frames),
      RUN_CONFIG_DEFAULTS.frames,
    )
    .option(
      '--size <s>',
      'output side: short side resized to s, centred s x s crop',
      positiveInt('--size', EXTRACT_FLAG_BOUNDS.size),
      RUN_CONFIG_DEFAULTS.size,
    )
    .option('--fps <rate>', 'frame-index grid rate, or "native"', parseFps, RUN_CONFIG_DEFAULTS.fps)
    .option(
      '--streams <list>',
      'streams as kind:stride items (default "rgb:1,flow:1"; "rgb:1" with --flow none)',
    )
    .option('--split <name>', 'only the videos of this split')
    .option('--root <dir>', 'confine every video path (after symlinks) to this folder')
    .option(
      '--allow-missing',
      'skip manifest rows that name no video (listed in the summary) instead of failing',
    )
    .addOption(
      new Option('--identity <mode>', 'how cache keys identify a file')
        .choices(['stat', 'content'])
        .default('stat'),
    )
    .option(
      '--queue <url>',
      'redis://[user:pass@]host:port[/db]: shards of videos are extracted by `assemblenet worker` processes',
    )
    .option(
      '--shard-size <n>',
      `with --queue: videos per job (default ${DEFAULT_EXTRACT_SHARD_SIZE})`,
      positiveInt('--shard-size'),
    )
    .option('--json', 'end with one JSON object (the summary) on the last line')
    .action(async (flags: ExtractFlags) => {
      const { manifest } = readManifest(flags.dataset, {
        ...(flags.root ? { root: flags.root } : {}),
        missing: flags.allowMissing ? 'skip' : 'error',
      });
      const items = flags.split
        ? manifest.items.filter((item) => item.split === flags.split)
        : manifest.items;
      if (!items.length) {
        throw new InputError(
          `extract: expected videos in ${flags.dataset}${flags.split ? ` (split ${flags.split})` : ''}, got none`,
        );
      }
      const streams = parseStreams(
        flags.streams ?? (flags.flow === 'none' ? 'rgb:1' : 'rgb:1,flow:1'),
        flags.frames,
      );
      const clipsPerVideo = flags.clips + flags.trainClips;
      const progress = createCountProgress({
        label: 'extract',
        unit: 'clips',
        total: items.length * clipsPerVideo,
      });
      let summary: ExtractSummary;
      try {
        if (flags.queue)
          summary = await extractWithQueue(flags, items, streams, (clips) => progress.tick(clips));
        else
          summary = await extractDataset(
            { items },
            {
              cacheDir: flags.cacheDir,
              workers: flags.workers,
              flow: flags.flow,
              clips: flags.clips,
              trainClips: flags.trainClips,
              frames: flags.frames,
              size: flags.size,
              fps: flags.fps,
              streams,
              identity: flags.identity,
              onProgress: (event) => progress.tick(1, event.video.id),
            },
          );
      } finally {
        progress.stop();
      }
      process.stdout.write(`${formatExtractSummary(summary, manifest.missing)}\n`);
      if (flags.json)
        writeJsonLine({ ...summary, videos: undefined, skippedRows: manifest.missing });
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
}
