/**
 * Teacher logits on disk, so students train without re-running the teacher.
 *
 * One folder per teacher: `teacher-logits.jsonl`, a header line
 * `{"format":"assemblenet-teacher-logits","teacher":ID,"numClasses":N}` then one line per clip
 * `{"video":ID,"clip":KEY,"logits":[...]}`. Appends are line-atomic; a torn last line (a run
 * killed mid-write) is ignored on load. The clip key names the clip placement (for example
 * "test:3" or "train:seed=7:start=12") so each sampled view has its own entry.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, type Tensor2D } from '../engine/tf.ts';
import { InputError } from '../errors.ts';

export const TEACHER_LOGITS_FILE = 'teacher-logits.jsonl';
const FORMAT = 'assemblenet-teacher-logits';

export interface TeacherCacheOptions {
  /** Identifies the teacher (checkpoint path, hash): a cache of another teacher is refused. */
  teacher: string;
  numClasses: number;
}

export interface ClipRef {
  video: string;
  clip: string;
}

const keyOf = (video: string, clip: string): string => JSON.stringify([video, clip]);

export class TeacherCache {
  private readonly entries = new Map<string, Float32Array>();
  private pending: string[] = [];

  private constructor(
    readonly file: string,
    readonly teacher: string,
    readonly numClasses: number,
  ) {}

  /** Opens (or creates) the cache in `dir`; fails when it belongs to another teacher. */
  static async open(dir: string, options: TeacherCacheOptions): Promise<TeacherCache> {
    if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
      throw new InputError(`teacherCache: expected numClasses >= 1, got ${options.numClasses}`);
    }
    await mkdir(dir, { recursive: true });
    const file = join(dir, TEACHER_LOGITS_FILE);
    const cache = new TeacherCache(file, options.teacher, options.numClasses);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined || text.length === 0) {
      await writeFile(
        file,
        JSON.stringify({
          format: FORMAT,
          teacher: options.teacher,
          numClasses: options.numClasses,
        }) + '\n',
      );
      return cache;
    }
    cache.load(text);
    return cache;
  }

  private load(text: string): void {
    const lines = text.split('\n');
    // The last piece is '' after a final newline, or a torn line: dropped either way.
    const complete = lines.slice(0, -1);
    const header = JSON.parse(complete[0] ?? '{}') as {
      format?: string;
      teacher?: string;
      numClasses?: number;
    };
    if (header.format !== FORMAT)
      throw new InputError(
        `teacherCache: expected a ${FORMAT} header in ${this.file}:1, got ${complete[0]}`,
      );
    if (header.teacher !== this.teacher || header.numClasses !== this.numClasses) {
      throw new InputError(
        `teacherCache: expected teacher "${this.teacher}" with ${this.numClasses} classes in ${this.file}:1, got "${header.teacher}" with ${header.numClasses}`,
      );
    }
    complete.slice(1).forEach((line, index) => {
      const row = JSON.parse(line) as { video?: unknown; clip?: unknown; logits?: unknown };
      if (
        typeof row.video !== 'string' ||
        typeof row.clip !== 'string' ||
        !Array.isArray(row.logits) ||
        row.logits.length !== this.numClasses
      ) {
        throw new InputError(
          `teacherCache: expected {video, clip, logits[${this.numClasses}]} at ${this.file}:${index + 2}, got ${line.slice(0, 80)}`,
        );
      }
      this.entries.set(keyOf(row.video, row.clip), Float32Array.from(row.logits as number[]));
    });
  }

  get size(): number {
    return this.entries.size;
  }

  has(video: string, clip: string): boolean {
    return this.entries.has(keyOf(video, clip));
  }

  /** The logits [classes] of one clip, or undefined. */
  get(video: string, clip: string): Float32Array | undefined {
    return this.entries.get(keyOf(video, clip));
  }

  /** Records one clip's logits (written at the next `flush`). */
  put(video: string, clip: string, logits: ArrayLike<number>): void {
    if (logits.length !== this.numClasses) {
      throw new InputError(
        `teacherCache: expected ${this.numClasses} logits for ${video} ${clip}, got ${logits.length}`,
      );
    }
    const values = Float32Array.from(logits);
    this.entries.set(keyOf(video, clip), values);
    this.pending.push(JSON.stringify({ video, clip, logits: Array.from(values) }));
  }

  /** Appends the entries put since the last flush. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending.join('\n') + '\n';
    this.pending = [];
    await appendFile(this.file, lines);
  }

  /** The clips not cached yet. */
  missing(clips: readonly ClipRef[]): ClipRef[] {
    return clips.filter((ref) => !this.has(ref.video, ref.clip));
  }

  /** Cached logits of a batch of clips as [batch, classes]; fails naming the first missing clip. */
  batch(clips: readonly ClipRef[]): Tensor2D {
    const values = new Float32Array(clips.length * this.numClasses);
    clips.forEach((ref, row) => {
      const logits = this.get(ref.video, ref.clip);
      if (!logits)
        throw new InputError(
          `teacherCache: expected cached teacher logits for video "${ref.video}" clip "${ref.clip}", got none`,
        );
      values.set(logits, row * this.numClasses);
    });
    return tf.tensor2d(values, [clips.length, this.numClasses]);
  }

  /**
   * Computes and stores the logits of the clips not cached yet, `batchSize` at a time:
   * `teacherLogits(clips)` returns [clips.length, classes] (the caller runs the teacher).
   */
  async fill(
    clips: readonly ClipRef[],
    teacherLogits: (clips: ClipRef[]) => Promise<Tensor2D>,
    batchSize = 8,
  ): Promise<number> {
    const todo = this.missing(clips);
    for (let start = 0; start < todo.length; start += batchSize) {
      const part = todo.slice(start, start + batchSize);
      const logits = await teacherLogits(part);
      if (logits.shape[0] !== part.length || logits.shape[1] !== this.numClasses) {
        logits.dispose();
        throw new InputError(
          `teacherCache: expected teacher logits [${part.length}, ${this.numClasses}], got [${logits.shape}]`,
        );
      }
      const values = logits.dataSync();
      logits.dispose();
      part.forEach((ref, row) =>
        this.put(
          ref.video,
          ref.clip,
          values.subarray(row * this.numClasses, (row + 1) * this.numClasses),
        ),
      );
      await this.flush();
    }
    return todo.length;
  }
}
