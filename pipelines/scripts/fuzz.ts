/**
 * Fuzzing the jobs with damaged videos: real videos (a tiny synthetic set, re-muxed into mp4,
 * mkv, webm, avi) are mutated (byte flips, truncation, header and index damage, zeroed spans,
 * container swaps), then `assemblenet extract` and `assemblenet classify` run as their own
 * processes over the mutants and the intact videos together. Checked: neither job crashes
 * (exit 0 or 1, no internal error), every file ends as ok or one error row, and every intact
 * video is ok in both (no good row lost).
 *
 *   npm run fuzz -- 200 [--seed 1] [--out runs/fuzz] [--json FILE]
 *
 * The setup (dataset, a checkpoint trained for one epoch) is reused by later runs in --out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  generateSyntheticDataset,
  parseSyntheticSpec,
  readManifest,
} from '../../datasets/index.ts';
import {
  ClipPool,
  inspectBuild,
  parseGenome,
  resolveTool,
  selectBackend,
} from '../../src/index.ts';
import { parseRunConfig } from '../../src/networks/runConfig.ts';
import { runTrainJob } from '../jobs/train.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

export const MUTATION_KINDS = [
  'byte-flip',
  'truncate',
  'header',
  'index',
  'zero-span',
  'container-swap',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** A small seeded PRNG (mulberry32): the same seed, the same mutants. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where a container keeps its index: mp4 moov/stco/stsz, mkv Cues/SeekHead, avi idx1. */
function indexOffset(bytes: Buffer): number {
  const markers = [
    Buffer.from('stco'),
    Buffer.from('stsz'),
    Buffer.from('moov'),
    Buffer.from([0x1c, 0x53, 0xbb, 0x6b]), // Cues
    Buffer.from([0x11, 0x4d, 0x9b, 0x74]), // SeekHead
    Buffer.from('idx1'),
  ];
  for (const marker of markers) {
    const at = bytes.indexOf(marker);
    if (at >= 0) return at;
  }
  return Math.floor(bytes.length / 2);
}

const SWAP_EXTENSIONS = ['.mp4', '.mkv', '.webm', '.avi', '.mov'];

/** One mutant of `source`: its bytes and the extension it is saved under. */
export function mutate(
  source: Buffer,
  extension: string,
  kind: MutationKind,
  random: () => number,
): { bytes: Buffer; extension: string } {
  const bytes = Buffer.from(source);
  const at = (limit: number) => Math.floor(random() * Math.max(1, limit));
  switch (kind) {
    case 'byte-flip': {
      const flips = 1 + at(64);
      for (let i = 0; i < flips; i++) bytes[at(bytes.length)]! ^= 1 << at(8);
      return { bytes, extension };
    }
    case 'truncate':
      return { bytes: bytes.subarray(0, at(bytes.length * 0.95)), extension };
    case 'header': {
      const span = Math.min(bytes.length, 512);
      for (let i = 0; i < 8 + at(24); i++) bytes[at(span)] = at(256);
      return { bytes, extension };
    }
    case 'index': {
      const start = indexOffset(bytes);
      for (let i = 0; i < 4 + at(28); i++) {
        const offset = start + at(256);
        if (offset < bytes.length) bytes[offset] = at(256);
      }
      return { bytes, extension };
    }
    case 'zero-span': {
      const length = Math.min(256 + at(4096), Math.floor(bytes.length / 2));
      const from = at(bytes.length - length);
      bytes.fill(0, from, from + length);
      return { bytes, extension };
    }
    case 'container-swap': {
      const others = SWAP_EXTENSIONS.filter((ext) => ext !== extension);
      return { bytes, extension: others[at(others.length)]! };
    }
  }
}

export interface FuzzOptions {
  count: number;
  seed?: number;
  out?: string;
  workers?: number;
  log?: (line: string) => void;
}

export interface KindSummary {
  mutants: number;
  extractOk: number;
  extractError: number;
  classifyOk: number;
  classifyError: number;
  /** Files without exactly one outcome in a job. */
  unaccounted: number;
}

export interface FuzzSummary {
  count: number;
  seed: number;
  goodVideos: number;
  /** Jobs that crashed: exit code other than 0/1, or an internal error on stderr. */
  jobCrashes: number;
  /** Intact videos that were not ok in extract or classify. */
  goodLost: number;
  kinds: Record<MutationKind, KindSummary>;
  extract: { status: number | null; seconds: number };
  classify: { status: number | null; seconds: number };
  ffmpeg: string;
}

const FUZZ_SPEC = {
  kind: 'motion',
  name: 'fuzz-motion',
  seed: 7,
  video: { width: 32, height: 32, frames: 10, fps: 8 },
  scene: { objects: [1, 1], objectSize: [7, 10] },
  videosPerClass: 2,
  splits: { train: 0.5, val: 0, test: 0.5 },
  classes: [
    { name: 'left', motion: { kind: 'translate', direction: 180, speed: 1.5 } },
    { name: 'right', motion: { kind: 'translate', direction: 0, speed: 3 } },
  ],
};

const FUZZ_GENOME = {
  name: 'fuzz-rgb',
  modulesPerLevel: [1, 1, 1, 1],
  nodes: [
    { stem: 'rgb', temporal: 1 },
    { level: 0, inputs: [0], filters: 16, dilation: 1, stride: 1 },
    { level: 1, inputs: [1], filters: 16, dilation: 1, stride: 2 },
    { level: 2, inputs: [2], filters: 16, dilation: 1, stride: 2 },
    { level: 3, inputs: [3], filters: 16, dilation: 1, stride: 2 },
  ],
};

const FUZZ_CONFIG = {
  frames: 4,
  size: 32,
  batch: 2,
  epochs: 1,
  width: 0.125,
  trainClips: 1,
  testClips: 1,
  lr: 0.05,
};

/** The dataset, its videos re-muxed into four containers, and a one-epoch checkpoint. */
async function prepare(out: string, log: (line: string) => void) {
  const dataDir = join(out, 'dataset');
  const sourcesDir = join(out, 'sources');
  const runDir = join(out, 'run');
  const cacheDir = join(out, 'cache');
  const generated = await generateSyntheticDataset(parseSyntheticSpec(FUZZ_SPEC), { out: dataDir });
  const manifest = readManifest(generated.manifests[0]!).manifest;
  mkdirSync(sourcesDir, { recursive: true });
  const encodings: [string, string[]][] = [
    ['.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']],
    ['.mkv', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']],
    ['.webm', ['-c:v', 'libvpx', '-b:v', '200k']],
    ['.avi', ['-c:v', 'mjpeg']],
  ];
  // every (video, container) pair; re-muxed on first use only
  const sources = manifest.items.flatMap((item) =>
    encodings.map(([extension, codec]) => ({
      input: item.path,
      codec,
      path: join(sourcesDir, `${basename(item.path, extname(item.path))}${extension}`),
    })),
  );
  const source = (index: number): string => {
    const { input, codec, path } = sources[index]!;
    if (!existsSync(path)) {
      const ffmpeg = resolveTool('ffmpeg').path;
      const made = spawnSync(ffmpeg, ['-v', 'error', '-y', '-i', input, ...codec, path]);
      if (made.status !== 0)
        throw new Error(`fuzz: ffmpeg could not write ${path}: ${made.stderr}`);
    }
    return path;
  };
  if (!existsSync(join(runDir, 'checkpoints'))) {
    log('fuzz: training the one-epoch checkpoint');
    await selectBackend('wasm');
    const pool = new ClipPool({ workers: 2 });
    try {
      const result = await runTrainJob({
        genome: parseGenome(FUZZ_GENOME),
        manifest,
        config: parseRunConfig(FUZZ_CONFIG),
        out: runDir,
        cacheDir,
        pool,
        skipEval: true,
        progress: false,
        log: () => {},
      });
      result.network.dispose();
    } finally {
      await pool.destroy();
    }
  }
  return {
    sourceCount: sources.length,
    source,
    runDir,
    cacheDir,
    good: manifest.items.map((item) => item.path),
  };
}

function runCli(args: string[]) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/assemblenet.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

function crashed(result: { status: number | null; stderr: string }): boolean {
  return (result.status !== 0 && result.status !== 1) || /internal error/.test(result.stderr);
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const seed = options.seed ?? 1;
  const out = resolve(options.out ?? join(ROOT, 'runs/fuzz'));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { sourceCount, source: sourceAt, runDir, cacheDir, good } = await prepare(out, log);
  const random = prng(seed);
  const mutantsDir = join(out, `mutants-${seed}-${options.count}`);
  rmSync(mutantsDir, { recursive: true, force: true });
  mkdirSync(mutantsDir, { recursive: true });
  const mutants: { path: string; kind: MutationKind }[] = [];
  for (let index = 0; index < options.count; index++) {
    const kind = MUTATION_KINDS[index % MUTATION_KINDS.length]!;
    const source = sourceAt(Math.floor(random() * sourceCount));
    const { bytes, extension } = mutate(readFileSync(source), extname(source), kind, random);
    const path = join(mutantsDir, `${String(index).padStart(4, '0')}-${kind}${extension}`);
    writeFileSync(path, bytes);
    mutants.push({ path, kind });
  }
  const list = join(mutantsDir, 'videos.txt');
  writeFileSync(list, [...good, ...mutants.map((m) => m.path)].map((p) => `${p}\n`).join(''));
  const workers = String(options.workers ?? 2);

  log(`fuzz: extract over ${good.length} intact + ${mutants.length} mutated videos`);
  const extract = runCli([
    'extract',
    '--dataset',
    list,
    '--flow',
    'none',
    '--frames',
    String(FUZZ_CONFIG.frames),
    '--size',
    String(FUZZ_CONFIG.size),
    '--clips',
    '1',
    '--train-clips',
    '1',
    '--workers',
    workers,
    '--cache-dir',
    join(mutantsDir, 'cache'),
    '--json',
  ]);
  let extractSummary: { failures?: { path: string }[]; total?: number } = {};
  try {
    extractSummary = JSON.parse(extract.stdout.trim().split('\n').pop() || '{}');
  } catch {
    // no summary: counted as a crash below (total 0)
  }
  const extractFailed = new Set((extractSummary.failures ?? []).map((f) => resolve(f.path)));

  log('fuzz: classify over the same list');
  const rowsFile = join(mutantsDir, 'rows.jsonl');
  const classify = runCli([
    'classify',
    list,
    '--checkpoint',
    runDir,
    '--out',
    rowsFile,
    '--workers',
    workers,
    '--cache-dir',
    cacheDir,
    '--backend',
    'wasm',
  ]);
  const rows = existsSync(rowsFile)
    ? readFileSync(rowsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { video: string; error?: string })
    : [];
  const rowsByVideo = new Map<string, { error?: string }[]>();
  for (const row of rows) rowsByVideo.set(row.video, [...(rowsByVideo.get(row.video) ?? []), row]);

  const kinds = Object.fromEntries(
    MUTATION_KINDS.map((kind) => [
      kind,
      {
        mutants: 0,
        extractOk: 0,
        extractError: 0,
        classifyOk: 0,
        classifyError: 0,
        unaccounted: 0,
      },
    ]),
  ) as Record<MutationKind, KindSummary>;
  const extractTotal = extractSummary.total ?? 0;
  for (const { path, kind } of mutants) {
    const entry = kinds[kind];
    entry.mutants++;
    if (extractFailed.has(path)) entry.extractError++;
    else entry.extractOk++;
    const videoRows = rowsByVideo.get(path) ?? [];
    if (videoRows.length !== 1) entry.unaccounted++;
    else if (videoRows[0]!.error !== undefined) entry.classifyError++;
    else entry.classifyOk++;
  }
  const goodLost = good.filter((path) => {
    const videoRows = rowsByVideo.get(path) ?? [];
    return extractFailed.has(path) || videoRows.length !== 1 || videoRows[0]!.error !== undefined;
  }).length;
  const jobCrashes =
    Number(crashed(extract)) +
    Number(crashed(classify)) +
    Number(extractTotal !== good.length + mutants.length);
  const ffmpeg = resolveTool('ffmpeg');
  const ffmpegVersion = `${inspectBuild(ffmpeg.path).version} [${ffmpeg.source}]`;
  return {
    count: options.count,
    seed,
    goodVideos: good.length,
    jobCrashes,
    goodLost,
    kinds,
    extract: { status: extract.status, seconds: extract.seconds },
    classify: { status: classify.status, seconds: classify.seconds },
    ffmpeg: ffmpegVersion,
  };
}

export function formatFuzzSummary(summary: FuzzSummary): string {
  const lines = [
    `fuzz: ${summary.count} mutated + ${summary.goodVideos} intact videos (seed ${summary.seed}): ` +
      `${summary.jobCrashes} job crashes, ${summary.goodLost} good rows lost ` +
      `(extract exit ${summary.extract.status} in ${summary.extract.seconds.toFixed(0)} s, ` +
      `classify exit ${summary.classify.status} in ${summary.classify.seconds.toFixed(0)} s)`,
    '| mutation | videos | extract ok | extract error | classify ok | classify error | unaccounted |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const kind of MUTATION_KINDS) {
    const k = summary.kinds[kind];
    lines.push(
      `| ${kind} | ${k.mutants} | ${k.extractOk} | ${k.extractError} | ${k.classifyOk} | ${k.classifyError} | ${k.unaccounted} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      workers: { type: 'string', default: '2' },
      json: { type: 'string' },
    },
  });
  const count = Number(positionals[0] ?? '60');
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    process.stderr.write(`fuzz: expected a count 1..10000, got "${positionals[0]}"\n`);
    process.exit(2);
  }
  const summary = await runFuzz({
    count,
    seed: Number(values.seed),
    workers: Number(values.workers),
    ...(values.out ? { out: values.out } : {}),
  });
  process.stdout.write(`${formatFuzzSummary(summary)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.jobCrashes === 0 && summary.goodLost === 0 ? 0 : 1;
}
