import { spawn } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { InputError, ToolError, VideoError } from '../errors.ts';
import { resolveTool } from './tools.ts';

export type VideoCodec = 'h264' | 'vp9' | 'mpeg4' | 'mjpeg';

export interface VideoWriterOptions {
  /** Output file; its extension picks the container (.mp4, .mkv, .webm, .avi, .mov). */
  out: string;
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
  /** Quality: CRF for h264/vp9 (lower is better), q-scale 2..31 for mpeg4/mjpeg. */
  crf?: number;
  /** Encoder threads; 1 by default so that several writers can share the cores. */
  threads?: number;
}

export interface VideoWriter {
  /** Bytes of one rgb24 frame: width * height * 3. */
  readonly frameBytes: number;
  /** Frames accepted so far. */
  readonly framesWritten: number;
  /** Queues one frame [height, width, 3] rgb24; resolves once ffmpeg can take more. */
  write(frame: Uint8Array): Promise<void>;
  /** Ends the stream; resolves with the final path once ffmpeg exits 0 and the file is in place. */
  close(): Promise<string>;
  /** Stops ffmpeg and removes the partial file. */
  abort(): Promise<void>;
}

const DEFAULT_QUALITY: Record<VideoCodec, number> = { h264: 18, vp9: 30, mpeg4: 3, mjpeg: 3 };
const STDERR_TAIL = 4000;
let tmpCounter = 0;

function codecArgs(codec: VideoCodec, quality: number, threads: number): string[] {
  const t = ['-threads', String(threads)];
  switch (codec) {
    case 'h264':
      return [
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        String(quality),
        '-pix_fmt',
        'yuv420p',
        ...t,
      ];
    case 'vp9':
      return [
        '-c:v',
        'libvpx-vp9',
        '-crf',
        String(quality),
        '-b:v',
        '0',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-pix_fmt',
        'yuv420p',
        ...t,
      ];
    case 'mpeg4':
      return ['-c:v', 'mpeg4', '-q:v', String(quality), '-pix_fmt', 'yuv420p', ...t];
    case 'mjpeg':
      return ['-c:v', 'mjpeg', '-q:v', String(quality), '-pix_fmt', 'yuvj420p', ...t];
  }
}

function checkOptions(options: VideoWriterOptions): void {
  const { width, height, fps, codec } = options;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 2) {
      throw new InputError(`video writer: expected ${name} to be an integer >= 2, got ${value}`);
    }
  }
  if (!(fps > 0) || !Number.isFinite(fps)) {
    throw new InputError(`video writer: expected fps > 0, got ${fps}`);
  }
  if (!(codec in DEFAULT_QUALITY)) {
    throw new InputError(`video writer: expected codec h264|vp9|mpeg4|mjpeg, got ${codec}`);
  }
  // yuv420p halves the chroma planes: odd sizes are rejected by libx264/libvpx.
  if (codec !== 'mjpeg' && (width % 2 !== 0 || height % 2 !== 0)) {
    throw new InputError(
      `video writer: expected even width and height for ${codec}, got ${width}x${height}`,
    );
  }
  if (!extname(options.out)) {
    throw new InputError(
      `video writer: expected an output file with an extension (.mp4, .webm, ...), got ${options.out}`,
    );
  }
}

/**
 * Spawns ffmpeg to encode rgb24 frames [height, width, 3] from stdin into `out`.
 * The file is written under a temporary name beside `out` and renamed on success, so a
 * reader never sees a half-written video.
 */
export function createVideoWriter(options: VideoWriterOptions): VideoWriter {
  checkOptions(options);
  const { width, height, fps, codec } = options;
  // absolute, and handed to ffmpeg as file:..., so a name like "rtmp://x.mp4" stays a local file
  const out = resolvePath(options.out);
  const quality = options.crf ?? DEFAULT_QUALITY[codec];
  const frameBytes = width * height * 3;
  const ffmpeg = resolveTool('ffmpeg');
  mkdirSync(dirname(out), { recursive: true });
  const ext = extname(out);
  const tmpPath = join(
    dirname(out),
    `.${basename(out, ext)}.${process.pid}.${tmpCounter++}.partial${ext}`,
  );

  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    '-r',
    String(fps),
    '-i',
    'pipe:0',
    ...codecArgs(codec, quality, options.threads ?? 1),
    '-r',
    String(fps),
    `file:${tmpPath}`,
  ];
  const child = spawn(ffmpeg.path, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
  });
  // EPIPE when ffmpeg dies early: the exit handler below reports the real cause.
  let stdinError: Error | undefined;
  child.stdin.on('error', (error) => {
    stdinError = error;
  });

  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (error) =>
      reject(new ToolError(`ffmpeg: could not start ${ffmpeg.path}: ${error.message}`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(
          new VideoError(
            `video writer: ffmpeg failed with ${why}: ${stderrTail.trim() || 'no output'}`,
            out,
          ),
        );
      }
    });
  });
  // Avoid an unhandled rejection when the caller is between writes; close()/write() rethrow it.
  let exitError: unknown;
  exited.catch((error: unknown) => {
    exitError = error;
  });

  let framesWritten = 0;
  let finished = false;

  return {
    frameBytes,
    get framesWritten() {
      return framesWritten;
    },
    async write(frame: Uint8Array): Promise<void> {
      if (finished) throw new InputError(`video writer: write after close (${out})`);
      if (frame.length !== frameBytes) {
        throw new InputError(
          `video writer: expected a frame of ${frameBytes} bytes (${width}x${height}x3), got ${frame.length}`,
        );
      }
      if (exitError) throw exitError;
      if (stdinError || child.exitCode !== null) {
        await exited.catch(() => undefined);
        throw (
          exitError ??
          new VideoError(
            `video writer: ffmpeg stopped reading frames: ${stdinError?.message ?? 'exited'}`,
            out,
          )
        );
      }
      framesWritten++;
      // Copy: the caller may reuse its frame buffer while the pipe still holds this one.
      if (child.stdin.write(Buffer.from(frame))) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          child.stdin.off('drain', done);
          child.off('close', done);
          resolve();
        };
        child.stdin.on('drain', done);
        child.on('close', done);
      });
      if (exitError) throw exitError;
    },
    async close(): Promise<string> {
      finished = true;
      child.stdin.end();
      try {
        await exited;
      } catch (error) {
        rmSync(tmpPath, { force: true });
        throw error;
      }
      if (framesWritten === 0) {
        rmSync(tmpPath, { force: true });
        throw new InputError(`video writer: expected at least one frame, got 0 (${out})`);
      }
      renameSync(tmpPath, out);
      return out;
    },
    async abort(): Promise<void> {
      finished = true;
      child.stdin.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited.catch(() => undefined);
      rmSync(tmpPath, { force: true });
    },
  };
}
