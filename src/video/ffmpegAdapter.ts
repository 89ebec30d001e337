/**
 * The one place that talks to ffmpeg/ffprobe. fluent-ffmpeg (archived upstream in May 2025) is
 * used for probing only and is imported nowhere else, so it can be swapped out here alone.
 * Raw decoding spawns the resolved ffmpeg binary directly: fluent-ffmpeg adds nothing to a
 * plain argument array and its pipe wrapper hides backpressure and exit status.
 *
 * Rules for every invocation: arguments are arrays (never a shell string), inputs are given as
 * `file:<absolute path>` (a name like `-x` or `http:...` cannot become an option or a protocol),
 * and `-protocol_whitelist file,pipe` stops media files from pulling in network URLs or playlists.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { resolve } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { ToolError } from '../errors.ts';
import { resolveTool } from './tools.ts';

/** Protocols an input may use; anything else (http, tcp, concat, hls...) is refused by ffmpeg. */
export const PROTOCOL_WHITELIST = 'file,pipe';

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
  const args = ['-protocol_whitelist', PROTOCOL_WHITELIST];
  if (window.start !== undefined && window.start > 0) args.push('-ss', formatSeconds(window.start));
  if (window.duration !== undefined) args.push('-t', formatSeconds(window.duration));
  args.push('-i', inputUrl(path));
  return args;
}

/** Seconds with microsecond precision, never in exponent notation. */
export function formatSeconds(seconds: number): string {
  return seconds.toFixed(6);
}

/**
 * ffprobe through fluent-ffmpeg: `-show_streams -show_format` on one file, plus `extraArgs`
 * (e.g. `-count_packets`). Rejects with ffprobe's own error text (stderr) on failure.
 */
export function ffprobeFile(path: string, extraArgs: string[] = []): Promise<ProbedFile> {
  const ffprobePath = resolveTool('ffprobe').path;
  return new Promise((resolvePromise, reject) => {
    const command = ffmpeg();
    command.setFfprobePath(ffprobePath);
    command.input(inputUrl(path));
    command.ffprobe(
      ['-v', 'error', '-protocol_whitelist', PROTOCOL_WHITELIST, ...extraArgs],
      (error, data) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolvePromise(data as unknown as ProbedFile);
      },
    );
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
