/**
 * The batch classification job: many videos through a checkpoint's network, one JSONL row per
 * video, resumable.
 *
 *   inputs (files, folders, .txt/.lst lists) -> absolute video paths (input order, deduplicated)
 *     -> skip videos with an ok row in the output -> per video: its test clips through the
 *        ClipPool (several videos in flight) -> network -> probabilities averaged over clips
 *     -> one row appended (and fsynced) as each video finishes: completion order, not input order
 *
 * Rows: `{video, id, top: [{label, index, score}], scores, clips, ms}`, or `{video, id, error}`.
 * On a rerun, ok rows are kept and skipped, error rows are dropped and retried, and a torn last
 * line (a killed run) is cut off; the file is then rewritten atomically before appending.
 * Side files, rebuilt from every ok row in input order at the end: `FILE.csv` (video,label,score
 * per top-k class) or `FILE.charades.txt` (Charades submission format `id s_0 ... s_C-1`).
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'csv-stringify/sync';
import {
  InputError,
  aggregateViews,
  charadesIdProblem,
  clipsToInputs,
  describeError,
  formatCharadesSubmission,
  scoreMatrixFromRows,
  tf,
  type ClipPool,
  type ClipTemplate,
} from '../../src/index.ts';
import { displayBytes, pathFromBytes, readDirectory } from '../../datasets/index.ts';
import { confineToRoot } from '../../datasets/manifests/paths.ts';
import { videoKey } from '../predictions.ts';
import { createCountProgress } from '../countProgress.ts';
import type { CheckpointNetwork } from '../../src/networks/checkpointNetwork.ts';

/** Classes listed in each row's `top` unless --top says otherwise. */
export const DEFAULT_TOP_CLASSES = 5;

export const VIDEO_EXTENSIONS: readonly string[] = ['.mp4', '.avi', '.mkv', '.webm', '.mov'];
export const LIST_EXTENSIONS: readonly string[] = ['.txt', '.lst'];
export const CLASSIFY_FORMATS = ['jsonl', 'csv', 'charades'] as const;
export type ClassifyFormat = (typeof CLASSIFY_FORMATS)[number];

export interface TopClass {
  label: string;
  index: number;
  score: number;
}

export interface ClassifyOkRow {
  video: string;
  id: string;
  top: TopClass[];
  /** Mean probability of every class over the clips. */
  scores: number[];
  clips: number;
  /** Wall time from the first clip request to the scores. */
  ms: number;
}

export interface ClassifyErrorRow {
  video: string;
  id: string;
  error: string;
}

export type ClassifyRow = ClassifyOkRow | ClassifyErrorRow;

// ---------------------------------------------------------------------------------------------
// inputs

function hasExtension(path: string, extensions: readonly string[]): boolean {
  return extensions.includes(extname(path).toLowerCase());
}

/** A video found among the inputs: its path, its id, and where it was named. */
interface FoundVideo {
  path: string;
  /** The path as text (undecodable bytes as \xHH). */
  shown: string;
  /** Path relative to the folder ids are taken from, without the extension. */
  id: string;
  /** The input that named it: a folder, list file:line, or the argument. */
  source: string;
}

/** The id of `path` relative to `base` (without the extension); outside it, the absolute path. */
function idFrom(base: string, path: string): string {
  const rel = relative(base, path);
  const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  return (inside ? rel : path).replace(/\.[^./]+$/, '');
}

/** Videos under `folder` (a usable path; `shown` is its text form), ids relative to `top`. */
function walkFolder(folder: string, shown: string, top: string, out: FoundVideo[]): void {
  // byte-safe: names that are not UTF-8 come back as usable alias paths and escaped names
  for (const entry of readDirectory(folder)) {
    const entryShown = join(shown, entry.name);
    if (entry.isDirectory) walkFolder(entry.path, entryShown, top, out);
    else if (entry.isFile && hasExtension(entry.name, VIDEO_EXTENSIONS))
      out.push({
        path: entry.path,
        shown: entryShown,
        id: idFrom(top, entryShown),
        source: `folder ${top}`,
      });
  }
}

function readList(file: string, out: FoundVideo[], missing: FoundVideo[]): void {
  const base = dirname(file);
  readFileSync(file)
    .toString('latin1') // one character per byte: paths keep their exact bytes
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const bytes = Buffer.from(isAbsolute(line) ? line : resolve(base, line), 'latin1');
      const shown = displayBytes(bytes);
      const source = `${file}:${index + 1}`;
      const stat = statSync(bytes, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walkFolder(pathFromBytes(bytes), shown, shown, out);
      else {
        // A missing entry stays in: it becomes an error row naming the video (and is counted
        // as missing, which --allow-missing forgives), not a failed job.
        const found = { path: pathFromBytes(bytes), shown, id: idFrom(base, shown), source };
        out.push(found);
        if (!stat) missing.push(found);
      }
    });
}

export interface CollectedVideos {
  /** Absolute video paths, input order, first occurrence kept. */
  videos: string[];
  /** Each video's id: unique in the job (duplicates are refused). */
  ids: Map<string, string>;
  /** Paths named by lists that do not exist (they still get an error row each). */
  missing: string[];
}

/**
 * Videos from command-line inputs: video files, folders (recursively, files ending in
 * mp4/avi/mkv/webm/mov) and list files (.txt/.lst, one path per line, absolute or relative to
 * the list, `#` comments). Ids: with `root`, the path relative to it (and every path must lie in
 * it, after symbolic links); otherwise relative to the folder or list that named the video (a
 * file argument: relative to the working directory), without the extension; never the bare
 * file name. Two videos with the same id are an InputError naming both.
 */
export function collectInputs(inputs: string[], options: { root?: string } = {}): CollectedVideos {
  const found: FoundVideo[] = [];
  const missing: FoundVideo[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat)
      throw new InputError(
        `classify: expected a video, folder or list file, got a path that does not exist: ${input}`,
      );
    if (stat.isDirectory()) walkFolder(path, path, path, found);
    else if (hasExtension(path, LIST_EXTENSIONS)) readList(path, found, missing);
    else
      found.push({
        path,
        shown: path,
        id: idFrom(process.cwd(), path),
        source: 'the command line',
      });
  }
  const root = options.root ? resolve(options.root) : undefined;
  const byPath = new Map<string, FoundVideo>();
  for (const video of found) {
    if (byPath.has(video.path)) continue;
    if (root) {
      confineToRoot(root, video.path, 'classify', video.shown, video.source);
      video.id = idFrom(root, video.shown);
    }
    byPath.set(video.path, video);
  }
  const byId = new Map<string, FoundVideo>();
  for (const video of byPath.values()) {
    const first = byId.get(video.id);
    if (first) {
      throw new InputError(
        `classify: expected unique video ids, got "${video.id}" for ${first.path} (${first.source}) ` +
          `and ${video.path} (${video.source}); ids are paths relative to the input folder or list (or --root)`,
      );
    }
    byId.set(video.id, video);
  }
  return {
    videos: [...byPath.keys()],
    ids: new Map([...byPath.values()].map((video) => [video.path, video.id])),
    missing: [...new Set(missing.map((video) => video.path))],
  };
}

/** The video paths of `collectInputs` (ids and missing entries left out). */
export function collectVideos(inputs: string[]): string[] {
  return collectInputs(inputs).videos;
}

// ---------------------------------------------------------------------------------------------
// the output file

export interface PreviousOutput {
  /** Ok rows by video path. */
  done: Map<string, ClassifyOkRow>;
  /** Error rows dropped for a retry. */
  retried: number;
  /** A torn last line was cut off. */
  repaired: boolean;
}

function isOkRow(row: ClassifyRow): row is ClassifyOkRow {
  return !('error' in row) && Array.isArray((row as ClassifyOkRow).scores);
}

/**
 * Reads what a previous run wrote to `file` and leaves it holding only its ok rows (rewritten
 * atomically when a torn line or error rows had to go). Rows from a model with another class
 * count are refused: appending to them would mix two models.
 */
export function prepareOutput(file: string, numClasses: number): PreviousOutput {
  const done = new Map<string, ClassifyOkRow>();
  if (!existsSync(file)) return { done, retried: 0, repaired: false };
  let text = readFileSync(file, 'utf8');
  let repaired = false;
  if (text.length > 0 && !text.endsWith('\n')) {
    text = text.slice(0, text.lastIndexOf('\n') + 1);
    repaired = true;
  }
  let retried = 0;
  let duplicates = 0;
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let row: ClassifyRow;
    try {
      row = JSON.parse(line) as ClassifyRow;
    } catch {
      throw new InputError(
        'classify: expected the output to hold JSONL rows of an earlier classify run, got unparsable text',
        `${file}:${index + 1}`,
      );
    }
    if (typeof row?.video !== 'string') {
      throw new InputError(
        'classify: expected a "video" field in every row of the output',
        `${file}:${index + 1}`,
      );
    }
    if (!isOkRow(row)) {
      retried++;
      return;
    }
    if (row.scores.length !== numClasses) {
      throw new InputError(
        `classify: expected rows with ${numClasses} scores (this checkpoint), got ${row.scores.length}: the output holds another model's predictions`,
        `${file}:${index + 1}`,
      );
    }
    if (done.has(row.video)) duplicates++;
    done.set(row.video, row);
  });
  if (repaired || retried > 0 || duplicates > 0) {
    writeTextAtomic(file, [...done.values()].map((row) => `${JSON.stringify(row)}\n`).join(''));
  }
  return { done, retried, repaired };
}

function writeTextAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Appends whole rows: one write per row (O_APPEND) and an fsync, so a kill tears at most the last line. */
class RowAppender {
  readonly #fd: number;
  constructor(file: string) {
    this.#fd = openSync(file, 'a');
  }
  append(row: ClassifyRow): void {
    writeSync(this.#fd, `${JSON.stringify(row)}\n`);
    fdatasyncSync(this.#fd);
  }
  close(): void {
    closeSync(this.#fd);
  }
}

/** `video,label,score`: a header, then one line per top-k class of each row. */
export function formatCsv(rows: ClassifyOkRow[]): string {
  const records: (string | number)[][] = [['video', 'label', 'score']];
  for (const row of rows)
    for (const top of row.top) records.push([row.video, top.label, top.score]);
  return stringify(records);
}

/** Charades submission format `id s_0 ... s_C-1` (ids holding whitespace are refused). */
export function formatCharades(rows: ClassifyOkRow[]): string {
  if (rows.length === 0) return '';
  return formatCharadesSubmission(
    rows.map((row) => row.id),
    scoreMatrixFromRows(rows.map((row) => row.scores)),
  );
}

export function sideFilePath(out: string, format: ClassifyFormat): string | undefined {
  if (format === 'csv') return `${out}.csv`;
  if (format === 'charades') return `${out}.charades.txt`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// the job

export interface ClassifyJobInput {
  model: CheckpointNetwork;
  videos: string[];
  /** Each video's id (collectInputs); rows of videos not in it keep the file name. */
  ids?: ReadonlyMap<string, string>;
  out: string;
  /** Decodes the clips; not needed when `classifier` is given. */
  pool?: ClipPool;
  /** Who classifies the videos still to do (default: `classifyVideos` here, with `pool`). */
  classifier?: VideoClassifier;
  cacheDir: string;
  format?: ClassifyFormat;
  /** Classes listed in `top` (default DEFAULT_TOP_CLASSES, at most the class count). */
  top?: number;
  /** Clips per video (default: the checkpoint's test clips). */
  clips?: number;
  /** Videos in flight (default: twice the pool's workers, at least 2). */
  concurrency?: number;
  progress?: boolean;
  signal?: AbortSignal;
  /** Called after each row is written. */
  onRow?: (row: ClassifyRow) => void;
}

export interface ClassifyJobResult {
  total: number;
  ok: number;
  /** Videos with an ok row from an earlier run. */
  skipped: number;
  failed: number;
  /** Error rows of an earlier run that were retried. */
  retried: number;
  /** A torn last line was cut off. */
  repaired: boolean;
  out: string;
  sideFile?: string;
  failures: { video: string; error: string }[];
  seconds: number;
}

export function topClasses(scores: ArrayLike<number>, classes: string[], k: number): TopClass[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  // ties: the lower class index first (stable sort)
  order.sort((a, b) => scores[b]! - scores[a]!);
  return order
    .slice(0, k)
    .map((index) => ({ label: classes[index]!, index, score: scores[index]! }));
}

/** What one video needs: the network, the pool that decodes its clips, the clip cache. */
export interface VideoClassifierInput {
  model: CheckpointNetwork;
  pool: ClipPool;
  cacheDir: string;
  /** Clips per video (default: the checkpoint's test clips). */
  clips?: number;
  /** Classes listed in `top` (default DEFAULT_TOP_CLASSES, at most the class count). */
  top?: number;
  /** Videos in flight (default: twice the pool's workers, at least 2). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Classifies `videos` (rows to `onRow`, completion order): locally, or through a queue. */
export type VideoClassifier = (
  videos: string[],
  onRow: (row: ClassifyRow) => void,
) => Promise<void>;

/** --clips and --top resolved against the checkpoint, checked. */
export function clipsAndTop(
  model: CheckpointNetwork,
  clipsFlag?: number,
  topFlag?: number,
): { clips: number; k: number } {
  const clips = clipsFlag ?? model.config.testClips;
  if (!Number.isInteger(clips) || clips < 1)
    throw new InputError(`classify: expected --clips >= 1, got ${clips}`);
  const k = Math.min(topFlag ?? DEFAULT_TOP_CLASSES, model.classes.length);
  if (!Number.isInteger(k) || k < 1)
    throw new InputError(`classify: expected --top >= 1, got ${topFlag}`);
  return { clips, k };
}

/** The local classifier: several videos in flight through the pool, one row per video. */
export async function classifyVideos(
  input: VideoClassifierInput,
  videos: string[],
  onRow: (row: ClassifyRow) => void,
): Promise<void> {
  const { clips, k } = clipsAndTop(input.model, input.clips, input.top);
  const template = input.model.template(input.cacheDir);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < videos.length) {
      const video = videos[next++]!;
      onRow(await classifyVideo(input, template, video, clips, k));
    }
  };
  const lanes = Math.max(
    1,
    Math.min(videos.length, input.concurrency ?? Math.max(2, input.pool.size * 2)),
  );
  await Promise.all(Array.from({ length: lanes }, lane));
}

/** One video: its clips from the pool -> network -> mean probabilities. */
async function classifyVideo(
  input: VideoClassifierInput,
  template: ClipTemplate,
  video: string,
  clips: number,
  k: number,
): Promise<ClassifyRow> {
  const started = performance.now();
  const id = videoKey(video);
  try {
    const results = await Promise.all(
      Array.from({ length: clips }, (_, index) =>
        input.pool.run(
          {
            ...template,
            video,
            placement: { kind: 'test', index, count: clips },
            output: 'arrays',
          },
          input.signal ? { signal: input.signal } : {},
        ),
      ),
    );
    const { network, classes } = input.model;
    const probabilities = tf.tidy(() => {
      const inputs = clipsToInputs(results);
      return network.probabilities(network.apply(inputs, false));
    });
    let values: Float32Array;
    try {
      values = (await probabilities.data()) as Float32Array;
    } finally {
      probabilities.dispose();
    }
    const mean = aggregateViews(
      { data: Float64Array.from(values), numItems: clips, numClasses: classes.length },
      new Array<string>(clips).fill(id),
      'mean',
    );
    const scores = Array.from(mean.scores.data as ArrayLike<number>);
    return {
      video,
      id,
      top: topClasses(scores, classes, k),
      scores,
      clips,
      ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (input.signal?.aborted) throw error;
    return { video, id, error: describeError(error) };
  }
}

/** Refuses, before any work, a video whose id the Charades side file could not hold. */
function checkCharadesIds(input: ClassifyJobInput, previous: PreviousOutput): void {
  const listed = new Set(input.videos);
  const ids: [string, string][] = [
    ...input.videos.map((video): [string, string] => [
      video,
      input.ids?.get(video) ?? videoKey(video),
    ]),
    // earlier runs' rows of videos not listed now keep their id in the side file
    ...[...previous.done.values()]
      .filter((row) => !listed.has(row.video))
      .map((row): [string, string] => [row.video, row.id]),
  ];
  for (const [video, id] of ids) {
    const problem = charadesIdProblem(id);
    if (problem)
      throw new InputError(
        `classify: --format charades: ${problem} (video ${video}); rename the file, or use --format jsonl or csv`,
      );
  }
}

export async function runClassifyJob(input: ClassifyJobInput): Promise<ClassifyJobResult> {
  const started = Date.now();
  const { model } = input;
  const format = input.format ?? 'jsonl';
  if (!CLASSIFY_FORMATS.includes(format))
    throw new InputError(
      `classify: expected --format ${CLASSIFY_FORMATS.join('|')}, got ${format}`,
    );
  clipsAndTop(model, input.clips, input.top);
  const { pool, classifier } = input;
  if (!classifier && !pool)
    throw new InputError('classify: expected a clip pool or a classifier, got neither');
  const classify: VideoClassifier =
    classifier ??
    ((videos, onRow) =>
      classifyVideos(
        {
          model,
          pool: pool!,
          cacheDir: input.cacheDir,
          ...(input.clips ? { clips: input.clips } : {}),
          ...(input.top ? { top: input.top } : {}),
          ...(input.concurrency ? { concurrency: input.concurrency } : {}),
          ...(input.signal ? { signal: input.signal } : {}),
        },
        videos,
        onRow,
      ));
  const out = resolve(input.out);
  if (statSync(dirname(out), { throwIfNoEntry: false })?.isDirectory() !== true) {
    throw new InputError(`classify: expected the folder of --out to exist, got ${dirname(out)}`);
  }
  const previous = prepareOutput(out, model.classes.length);
  if (format === 'charades') checkCharadesIds(input, previous);
  const todo = input.videos.filter((video) => !previous.done.has(video));
  const skipped = input.videos.length - todo.length;
  const failures: { video: string; error: string }[] = [];
  const fresh = new Map<string, ClassifyOkRow>();
  const bar =
    input.progress === false || todo.length === 0
      ? undefined
      : createCountProgress({ label: 'classify', unit: 'videos', total: todo.length });
  const appender = new RowAppender(out);
  try {
    if (todo.length)
      await classify(todo, (row) => {
        row.id = input.ids?.get(row.video) ?? row.id;
        appender.append(row);
        if (isOkRow(row)) fresh.set(row.video, row);
        else failures.push({ video: row.video, error: row.error });
        bar?.tick(1, videoKey(row.video));
        input.onRow?.(row);
      });
  } finally {
    appender.close();
    bar?.stop();
  }

  const sideFile = sideFilePath(out, format);
  if (sideFile) {
    // every ok row of the file: this run's inputs in input order, then earlier runs' other videos
    const rows = input.videos.flatMap((video) => {
      const row = fresh.get(video) ?? previous.done.get(video);
      return row ? [{ ...row, id: input.ids?.get(video) ?? row.id }] : [];
    });
    const listed = new Set(input.videos);
    rows.push(...[...previous.done.values()].filter((row) => !listed.has(row.video)));
    writeTextAtomic(sideFile, format === 'csv' ? formatCsv(rows) : formatCharades(rows));
  }
  return {
    total: input.videos.length,
    ok: fresh.size,
    skipped,
    failed: failures.length,
    retried: previous.retried,
    repaired: previous.repaired,
    out,
    ...(sideFile ? { sideFile } : {}),
    failures,
    seconds: (Date.now() - started) / 1000,
  };
}
