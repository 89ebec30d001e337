/**
 * Decoding to raw RGB frames: ffmpeg -> rawvideo rgb24 on a pipe -> frames cut from the byte
 * stream. Streamed: one frame is pulled at a time and ffmpeg blocks on the full pipe
 * meanwhile, so memory stays bounded however long the video is.
 *
 * Filters, in order: [autorotate, by ffmpeg] -> fps (when a target rate is given) ->
 * short-side scale -> crop -> rgb24.
 */
import { VideoError } from '../errors.ts';
import { checkFrameSize } from './bounds.ts';
import { collectTail, inputArgs, spawnFfmpeg } from './ffmpegAdapter.ts';
import { readFrames } from './frameCutter.ts';
import { geometryFilters, planFrameGeometry } from './geometry.ts';
import type { FrameGeometryOptions, FramePlan } from './geometry.ts';
import { parseRate, probeVideo } from './probe.ts';
import type { VideoInfo } from './probe.ts';

/** One decoded frame. */
export interface DecodedFrame {
  /** decodeFrames: position in this decode (0-based); decodeFrameIndices: the requested index. */
  index: number;
  /**
   * Seconds from the start of the video. With a target fps: start + position / fps (exact for
   * the fps filter's output). At the native rate: start + position / average rate (nominal; off
   * for variable-frame-rate input).
   */
  timestamp: number;
  width: number;
  height: number;
  /** Pixels [height, width, 3], rgb24, row-major. */
  data: Uint8Array;
}

export interface DecodeOptions extends FrameGeometryOptions {
  /** Target frame rate (number or rational text like "30000/1001"); omitted: every decoded frame. */
  fps?: number | string;
  /** Seconds to skip (accurate seek: keyframe seek, then decode up to the time). */
  start?: number;
  /** Seconds to decode from `start`. */
  duration?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** A probe result to reuse (skips ffprobe). */
  info?: VideoInfo;
}

/** What a decode will produce, without running it. */
export interface DecodePlan {
  info: VideoInfo;
  frame: FramePlan;
  /** ffmpeg arguments (without the binary, -nostdin and -hide_banner). */
  args: string[];
  /** Frames per second of the output timeline (target or native average). */
  outputFps: number;
}

/** Builds the ffmpeg invocation for a decode (probes the file unless `options.info` is given). */
export async function planDecode(path: string, options: DecodeOptions = {}): Promise<DecodePlan> {
  const info = options.info ?? (await probeVideo(path));
  const frame = planFrameGeometry(info, options);
  checkFrameSize(frame.resizedWidth, frame.resizedHeight, path, 'a resized frame');
  const filters: string[] = [];
  let outputFps = info.avgFrameRate;
  if (options.fps !== undefined) {
    const fpsText = String(options.fps);
    outputFps = typeof options.fps === 'number' ? options.fps : parseRate(fpsText);
    // The text goes into the filter graph: only plain numbers or rationals.
    if (!(outputFps > 0) || !/^\d+(\.\d+)?(\/\d+)?$/.test(fpsText)) {
      throw new VideoError(
        `decode: expected fps a positive number or rational like 30000/1001, got ${fpsText}`,
      );
    }
    // start_time=0 anchors the output grid at t=0 (or at the seek point), so slot k is time k/fps.
    filters.push(`fps=fps=${options.fps}:start_time=0`);
  }
  filters.push(...geometryFilters(frame, info, info.pixelFormat), 'format=rgb24');
  const args = [
    '-loglevel',
    'error',
    ...inputArgs(path, { start: options.start, duration: options.duration }),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-vsync',
    'passthrough',
  ];
  if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return { info, frame, args, outputFps };
}

/**
 * Decodes `path` to rgb24 frames [height, width, 3], one at a time.
 * Breaking out of the loop stops ffmpeg. Fails with a VideoError naming the file when ffmpeg
 * fails, or when a whole-file decode yields no frame.
 */
export async function* decodeFrames(
  path: string,
  options: DecodeOptions = {},
): AsyncGenerator<DecodedFrame> {
  const plan = await planDecode(path, options);
  const { width, height } = plan.frame;
  const start = options.start ?? 0;
  let position = 0;
  for await (const data of runRawDecode(path, plan.args, width * height * 3)) {
    yield { index: position, timestamp: start + position / plan.outputFps, width, height, data };
    position++;
  }
  if (position === 0 && start === 0 && options.maxFrames !== 0) {
    throw new VideoError(
      `decode: expected at least one frame from ${path}, got none (damaged or truncated file?)`,
    );
  }
}

export interface FrameIndexOptions extends FrameGeometryOptions {
  /** Rate of the frame-index grid: index i is time i / fps. Default: the video's average rate. */
  fps?: number | string;
  info?: VideoInfo;
  /** Seconds decoded before the first wanted frame, so that it is cut on the same grid. Default 0.5. */
  seekMargin?: number;
}

/**
 * Decodes just the frames a clip needs: seeks near the first wanted index, stops after the last.
 * Returns frames in the order of `indices` (repeats allowed). Indices up to about one second past
 * the last decoded frame get that frame (a clamp: frame counts from probing can be estimates);
 * further than that is a VideoError (the file ends early: truncated).
 */
export async function decodeFrameIndices(
  path: string,
  indices: readonly number[],
  options: FrameIndexOptions = {},
): Promise<DecodedFrame[]> {
  if (indices.length === 0) return [];
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0) {
      throw new VideoError(
        `decodeFrameIndices: expected non-negative integer indices, got ${index} for ${path}`,
      );
    }
  }
  const info = options.info ?? (await probeVideo(path));
  const fpsText = options.fps ?? info.avgFrameRateText;
  const fps = typeof fpsText === 'number' ? fpsText : parseRate(fpsText);
  const first = Math.min(...indices);
  const last = Math.max(...indices);
  const margin = Math.min(first, Math.ceil((options.seekMargin ?? 0.5) * fps));
  const origin = first - margin; // grid index of the first output frame
  const plan = await planDecode(path, {
    ...options,
    info,
    fps: fpsText,
    start: origin > 0 ? origin / fps : undefined,
    maxFrames: last - origin + 1,
  });
  const wanted = new Set(indices);
  const found = new Map<number, Uint8Array>();
  let lastData: Uint8Array | undefined;
  let gridIndex = origin;
  const { width, height } = plan.frame;
  for await (const data of runRawDecode(path, plan.args, width * height * 3)) {
    if (wanted.has(gridIndex)) found.set(gridIndex, data);
    lastData = data;
    gridIndex++;
  }
  if (!lastData) {
    throw new VideoError(
      `decodeFrameIndices: expected frames ${first}..${last} of ${path}, got none ` +
        `(the probe promised about ${info.frameCount} at ${info.avgFrameRateText} fps: truncated file, or indices past the end?)`,
    );
  }
  const lastDecoded = gridIndex - 1;
  if (last - lastDecoded > Math.ceil(fps) + 1) {
    throw new VideoError(
      `decodeFrameIndices: expected frames up to ${last} of ${path}, got frames up to ${lastDecoded} ` +
        `(the probe promised about ${info.frameCount} at ${info.avgFrameRateText} fps: truncated file?)`,
    );
  }
  const tail = lastData;
  return indices.map((index) => ({
    index,
    timestamp: index / fps,
    width,
    height,
    data: found.get(index) ?? tail,
  }));
}

/** Runs ffmpeg with `args` (rawvideo on stdout) and yields frames of `frameBytes`. */
async function* runRawDecode(
  path: string,
  args: string[],
  frameBytes: number,
): AsyncGenerator<Uint8Array> {
  const child = spawnFfmpeg(args);
  const stderr = collectTail(child.stderr);
  let spawnError: Error | undefined;
  let signal: NodeJS.Signals | null = null;
  const closed = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      spawnError = error;
      resolve(null);
    });
    child.on('close', (code, killedBy) => {
      signal = killedBy;
      resolve(code);
    });
  });
  let finished = false;
  try {
    const frames = readFrames(child.stdout, frameBytes);
    let next = await frames.next();
    while (!next.done) {
      yield next.value;
      next = await frames.next();
    }
    finished = true;
    const code = await closed;
    if (spawnError)
      throw new VideoError(`decode: could not start ffmpeg for ${path} (${spawnError.message})`);
    if (signal) {
      throw new VideoError(
        `decode: expected ffmpeg to decode ${path}, got ffmpeg killed by signal ${signal} ` +
          `(a crash of ffmpeg, not a verdict on the file; set FFMPEG_PATH to a maintained ffmpeg >= 5): ${lastLines(stderr())}`,
      );
    }
    if (code !== 0) {
      throw new VideoError(
        `decode: expected ffmpeg to decode ${path}, got exit code ${code}: ${lastLines(stderr())}`,
      );
    }
    if (next.value.trailingBytes !== 0) {
      throw new VideoError(
        `decode: expected whole frames from ${path}, got ${next.value.trailingBytes} trailing bytes`,
      );
    }
  } finally {
    if (!finished && child.exitCode === null && child.signalCode === null) {
      child.stdout.destroy();
      child.kill('SIGKILL');
      await closed;
    }
  }
}

/** The last distinct lines of ffmpeg's stderr ("Last message repeated N times" is dropped). */
function lastLines(text: string, count = 3): string {
  const lines = text
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Last message repeated/.test(line));
  return lines.slice(-count).join(' | ') || '(no message)';
}
