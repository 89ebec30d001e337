/**
 * The one place that talks to ffmpeg/ffprobe: both are spawned directly with argument arrays
 * (never a shell), so exit codes and signals are seen as they are.
 *
 * Rules for every invocation: inputs are given as `file:<absolute path>` (a name like `-x` or
 * `http:...` cannot become an option or a protocol), `-protocol_whitelist file,pipe` stops media
 * files from pulling in network URLs, and `-format_whitelist` admits only real containers: the
 * demuxers that read one file. concat/ffconcat, hls, image2 (which expands `%d` patterns) and the
 * like, which open further files named inside the input, are refused.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { ToolError } from '../errors.ts';
import { resolveTool } from './tools.ts';

/** Protocols an input may use; anything else (http, tcp, concat, hls...) is refused by ffmpeg. */
export const PROTOCOL_WHITELIST = 'file,pipe';

/**
 * Video containers (demuxer names; "mov" admits ffmpeg's "mov,mp4,m4a,3gp,3g2,mj2", "matroska"
 * its "matroska,webm"): mp4/mov, matroska/webm, avi, MPEG-TS, FLV, Ogg.
 */
export const VIDEO_FORMATS: readonly string[] = Object.freeze([
  'mov',
  'matroska',
  'avi',
  'mpegts',
  'flv',
  'ogg',
]);

/** Still-image demuxers that read exactly one file (image2 is left out: it expands patterns). */
export const STILL_FORMATS: readonly string[] = Object.freeze([
  'png_pipe',
  'jpeg_pipe',
  'bmp_pipe',
  'ppm_pipe',
  'tiff_pipe',
  'webp_pipe',
]);

/** The input-side whitelist arguments every ffmpeg/ffprobe input gets. */
export function whitelistArgs(formats: readonly string[] = VIDEO_FORMATS): string[] {
  return ['-protocol_whitelist', PROTOCOL_WHITELIST, '-format_whitelist', formats.join(',')];
}

/** One stream as ffprobe reports it (the fields this project reads; all optional). */
export interface ProbedStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: number | string;
  nb_read_packets?: number | string;
  duration?: number | string;
  start_time?: number | string;
  /** Display-matrix rotation, counter-clockwise degrees (ffprobe >= 5 side data). */
  rotation?: number | string;
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
  disposition?: Record<string, number | string>;
  tags?: Record<string, string | number>;
}

/** ffprobe's answer for one file. */
export interface ProbedFile {
  streams: ProbedStream[];
  format: {
    format_name?: string;
    duration?: number | string;
    size?: number | string;
    start_time?: number | string;
  };
}

/** `file:/abs/path`: unambiguous input URL for ffmpeg/ffprobe. */
export function inputUrl(path: string): string {
  return `file:${resolve(path)}`;
}

/** Input-side arguments: whitelist, optional seek/duration (seconds), then `-i file:...`. */
export function inputArgs(
  path: string,
  window: { start?: number; duration?: number } = {},
): string[] {
  const args = whitelistArgs();
  if (window.start !== undefined && window.start > 0) args.push('-ss', formatSeconds(window.start));
  if (window.duration !== undefined) args.push('-t', formatSeconds(window.duration));
  args.push('-i', inputUrl(path));
  return args;
}

/** Seconds with microsecond precision, never in exponent notation. */
export function formatSeconds(seconds: number): string {
  return seconds.toFixed(6);
}

/** ffprobe did not answer: its exit code or the signal that killed it, and its stderr. */
export class ProbeFailure extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    readonly timedOut = false,
  ) {
    super(
      timedOut
        ? 'ffprobe: timed out'
        : signal
          ? `ffprobe: killed by signal ${signal}`
          : `ffprobe: exit code ${exitCode}: ${stderr.trim()}`,
    );
    this.name = 'ProbeFailure';
  }
}

/** Longest ffprobe run before it is killed (a probe reads headers, not the whole file). */
export const PROBE_TIMEOUT_MS = 60_000;
/** Largest ffprobe JSON answer read; more is a hostile file (thousands of streams). */
const PROBE_MAX_OUTPUT = 8 * 1024 * 1024;

/**
 * ffprobe `-show_streams -show_format -of json` on one file, plus `extraArgs` (e.g.
 * `-count_packets`), with the whitelists. Rejects with a ProbeFailure (exit code or signal,
 * stderr) when ffprobe fails, crashes or runs past PROBE_TIMEOUT_MS.
 */
export function ffprobeFile(
  path: string,
  extraArgs: string[] = [],
  formats: readonly string[] = VIDEO_FORMATS,
): Promise<ProbedFile> {
  const ffprobePath = resolveTool('ffprobe').path;
  const args = [
    '-v',
    'error',
    ...whitelistArgs(formats),
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    ...extraArgs,
    inputUrl(path),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(ffprobePath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > PROBE_MAX_OUTPUT) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    const stderr = collectTail(child.stderr);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, PROBE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolError(`ffprobe: could not start ${ffprobePath} (${error.message})`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (size > PROBE_MAX_OUTPUT) {
        reject(new ProbeFailure(code, null, `more than ${PROBE_MAX_OUTPUT} bytes of probe output`));
        return;
      }
      if (code !== 0 || timedOut) {
        reject(new ProbeFailure(code, timedOut ? null : signal, stderr(), timedOut));
        return;
      }
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<ProbedFile>;
        resolvePromise({ streams: parsed.streams ?? [], format: parsed.format ?? {} });
      } catch (error) {
        reject(
          new ProbeFailure(code, null, `unparsable ffprobe output (${(error as Error).message})`),
        );
      }
    });
  });
}

/** A running ffmpeg whose stdout is the output pipe. */
export type FfmpegProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Spawns the resolved ffmpeg (no shell) with `-nostdin -hide_banner` and the given arguments. */
export function spawnFfmpeg(args: string[]): FfmpegProcess {
  const ffmpegPath = resolveTool('ffmpeg').path;
  return spawn(ffmpegPath, ['-nostdin', '-hide_banner', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
}

/** Keeps the last `limit` characters of a stream's text (ffmpeg's stderr), for error messages. */
export function collectTail(stream: Readable, limit = 4000): () => string {
  let tail = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    tail = (tail + text).slice(-limit);
  });
  return () => tail;
}

/**
 * Runs ffmpeg to completion (e.g. to write a file) and resolves with its stderr;
 * rejects with a ToolError carrying the end of stderr when it exits non-zero.
 */
export function runFfmpeg(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnFfmpeg(['-loglevel', 'error', ...args]);
    child.stdout.resume();
    const stderr = collectTail(child.stderr);
    child.on('error', (error) =>
      reject(new ToolError(`ffmpeg: could not start (${error.message})`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(stderr());
      else
        reject(
          new ToolError(`ffmpeg: expected exit code 0, got ${code ?? signal}: ${stderr().trim()}`),
        );
    });
  });
}
