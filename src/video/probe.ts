/**
 * probeVideo: what a video file holds (size, rate, length, rotation), or a VideoError that
 * names the file and says what is wrong with it (missing, empty, not a video, truncated, no
 * video stream).
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { VideoError } from '../errors.ts';
import { checkFrameSize, checkTimeline } from './bounds.ts';
import { PROBE_TIMEOUT_MS, ProbeFailure, VIDEO_FORMATS, ffprobeFile } from './ffmpegAdapter.ts';
import type { ProbedFile, ProbedStream } from './ffmpegAdapter.ts';
import { resolveTool } from './tools.ts';

/** Where `frameCount` came from. */
export type FrameCountSource =
  /** the container's frame count (nb_frames) */
  | 'container'
  /** packets counted by demuxing the whole file (`countFrames: true`) */
  | 'counted'
  /** duration x average frame rate, rounded (webm/mkv often store no count) */
  | 'estimated';

export interface VideoInfo {
  path: string;
  /** Container name as ffprobe gives it, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm". */
  container: string;
  codec: string;
  /** Decoded pixel format, e.g. "yuv420p" ('unknown' when ffprobe does not say). */
  pixelFormat: string;
  /** Seconds: the video stream's duration, else the container's. */
  duration: number;
  /** Average frame rate (frames / duration), frames per second. */
  avgFrameRate: number;
  /** Base ("real") frame rate: the lowest rate that represents all timestamps exactly. */
  rFrameRate: number;
  /** The average rate as ffprobe's rational string, e.g. "30000/1001" (exact, for the fps filter). */
  avgFrameRateText: string;
  frameCount: number;
  frameCountSource: FrameCountSource;
  /** Display size: the coded size with the rotation applied (what decoding produces). */
  width: number;
  height: number;
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees applied on display (0, 90, 180, 270); ffmpeg applies it when decoding. */
  rotation: number;
  /** True when avg and r frame rates differ by more than 1%: a hint of variable frame rate. */
  variableFrameRate: boolean;
}

export interface ProbeOptions {
  /** Count packets by demuxing the whole file (exact for most codecs, slower). Default false. */
  countFrames?: boolean;
}

export async function probeVideo(path: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  checkFileReadable(path);
  let probed: ProbedFile;
  try {
    probed = await ffprobeFile(path, options.countFrames ? ['-count_packets'] : []);
  } catch (error) {
    throw explainProbeFailure(path, error);
  }
  const stream = probed.streams.find((s) => s.codec_type === 'video' && !isAttachedPicture(s));
  if (!stream) {
    const kinds = probed.streams.map((s) => s.codec_type ?? 'unknown');
    throw new VideoError(
      `probeVideo: expected a video stream in ${path}, got ${kinds.length ? kinds.join(', ') : 'no streams'}`,
    );
  }
  return describeStream(path, probed, stream);
}

function isAttachedPicture(stream: ProbedStream): boolean {
  return Number(stream.disposition?.attached_pic ?? 0) === 1;
}

function describeStream(path: string, probed: ProbedFile, stream: ProbedStream): VideoInfo {
  const codedWidth = toNumber(stream.width);
  const codedHeight = toNumber(stream.height);
  if (!(codedWidth > 0 && codedHeight > 0)) {
    throw new VideoError(
      `probeVideo: expected a frame size in ${path}, got ${stream.width}x${stream.height}`,
    );
  }
  // Bounds before anything else reads the numbers: a damaged header can declare anything.
  checkFrameSize(codedWidth, codedHeight, path);
  const rotation = clockwiseRotation(stream);
  const quarterTurn = rotation === 90 || rotation === 270;
  const avgFrameRate = parseRate(stream.avg_frame_rate);
  const rFrameRate = parseRate(stream.r_frame_rate);
  const frameRate = avgFrameRate > 0 ? avgFrameRate : rFrameRate;
  const duration = firstPositive(toNumber(stream.duration), toNumber(probed.format.duration));
  if (!(duration > 0) || !(frameRate > 0)) {
    throw new VideoError(
      `probeVideo: expected a duration and frame rate in ${path}, got duration ${duration}, ` +
        `frame rate ${stream.avg_frame_rate ?? '?'} (damaged or truncated file?)`,
    );
  }
  checkTimeline(duration, frameRate, 0, path);
  const [frameCount, frameCountSource] = countFrames(stream, duration, frameRate);
  checkTimeline(duration, frameRate, frameCount, path);
  return {
    path,
    container: String(probed.format.format_name ?? 'unknown'),
    codec: String(stream.codec_name ?? 'unknown'),
    pixelFormat: String(stream.pix_fmt ?? 'unknown'),
    duration,
    avgFrameRate: frameRate,
    rFrameRate: rFrameRate > 0 ? rFrameRate : frameRate,
    avgFrameRateText:
      avgFrameRate > 0 ? String(stream.avg_frame_rate) : String(stream.r_frame_rate),
    frameCount,
    frameCountSource,
    width: quarterTurn ? codedHeight : codedWidth,
    height: quarterTurn ? codedWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    variableFrameRate:
      rFrameRate > 0 && avgFrameRate > 0 && Math.abs(rFrameRate - avgFrameRate) > 0.01 * rFrameRate,
  };
}

function countFrames(
  stream: ProbedStream,
  duration: number,
  frameRate: number,
): [number, FrameCountSource] {
  const counted = toNumber(stream.nb_read_packets);
  if (counted > 0) return [counted, 'counted'];
  const stored = toNumber(stream.nb_frames);
  if (stored > 0) return [stored, 'container'];
  return [Math.max(1, Math.round(duration * frameRate)), 'estimated'];
}

/**
 * Clockwise display rotation. Older ffprobe gives a `rotate` tag (clockwise); newer gives the
 * display matrix angle (counter-clockwise) as `rotation`.
 */
function clockwiseRotation(stream: ProbedStream): number {
  const tag = stream.tags?.rotate;
  const matrix =
    stream.rotation ?? stream.side_data_list?.find((side) => side.rotation !== undefined)?.rotation;
  let clockwise = 0;
  if (tag !== undefined && Number.isFinite(Number(tag))) clockwise = Number(tag);
  else if (matrix !== undefined && Number.isFinite(Number(matrix))) clockwise = -Number(matrix);
  const quarter = Math.round(clockwise / 90) * 90;
  return ((quarter % 360) + 360) % 360;
}

/** "30000/1001" -> 29.97; "0/0" or missing -> 0. */
export function parseRate(text: string | undefined): number {
  if (!text) return 0;
  const [num, den] = String(text).split('/').map(Number);
  if (den === undefined) return Number.isFinite(num) ? (num as number) : 0;
  if (!Number.isFinite(num) || !Number.isFinite(den) || den === 0) return 0;
  return (num as number) / den;
}

function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
  return Number.isFinite(n) ? n : 0;
}

function firstPositive(...values: number[]): number {
  return values.find((v) => v > 0) ?? 0;
}

function checkFileReadable(path: string): void {
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile())
      throw new VideoError(`probeVideo: expected a video file, got a directory or device: ${path}`);
    size = stats.size;
  } catch (error) {
    if (error instanceof VideoError) throw error;
    throw new VideoError(`probeVideo: expected a video file, got no such file: ${path}`);
  }
  if (size === 0)
    throw new VideoError(`probeVideo: expected a video file, got an empty (0-byte) file: ${path}`);
}

/**
 * Turns ffprobe's failure into a specific message: a crash or time-out of ffprobe itself, a
 * refused format or protocol, a text file, truncated media, or other.
 */
function explainProbeFailure(path: string, error: unknown): Error {
  if (!(error instanceof ProbeFailure))
    return error instanceof Error ? error : new Error(String(error));
  if (error.signal) {
    const tool = resolveTool('ffprobe');
    return new VideoError(
      `probeVideo: expected ffprobe to answer, got ffprobe killed by signal ${error.signal} ` +
        `(a crash of ${tool.path} [${tool.source}], not a verdict on the file; ` +
        `set FFPROBE_PATH to a maintained ffprobe >= 5): ${path}`,
    );
  }
  if (error.timedOut) {
    return new VideoError(
      `probeVideo: expected ffprobe to answer within ${PROBE_TIMEOUT_SECONDS} s, got no answer (killed): ${path}`,
    );
  }
  const message = error.stderr;
  const detail = lastLine(message);
  const format = /Format not on whitelist/i.test(message)
    ? message.split('\n').find((line) => /\[(\w+) @/.test(line))
    : undefined;
  if (/Format not on whitelist/i.test(message)) {
    const demuxer = /\[(\w+) @/.exec(format ?? '')?.[1] ?? 'unknown';
    return new VideoError(
      `probeVideo: expected a video container (${VIDEO_FORMATS.join(', ')}), got format "${demuxer}", ` +
        `which may open other files named inside it (refused): ${path}`,
    );
  }
  const refused = message.split('\n').find((line) => line.includes('not on whitelist'));
  if (refused) {
    return new VideoError(
      `probeVideo: expected media in local files only, got a reference to another protocol ` +
        `(playlist or network URL; refused): ${path} (${refused.trim()})`,
    );
  }
  const head = readHead(path, 512);
  if (looksLikeText(head)) {
    return new VideoError(
      `probeVideo: expected a video file, got text (not media; renamed file?): ${path}`,
    );
  }
  if (hasMediaSignature(head)) {
    return new VideoError(
      `probeVideo: expected a complete video file, got a truncated or damaged one: ${path} (${detail})`,
    );
  }
  return new VideoError(
    `probeVideo: expected a video file ffprobe can read, got unreadable data: ${path} (${detail})`,
  );
}

const PROBE_TIMEOUT_SECONDS = PROBE_TIMEOUT_MS / 1000;

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? text;
}

function readHead(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Printable ASCII / UTF-8 text with whitespace, no NUL bytes. */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let printable = 0;
  for (const byte of head) {
    if (byte === 0) return false;
    if (byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte < 127) || byte >= 128)
      printable++;
  }
  return printable / head.length > 0.95;
}

/** ISO-BMFF (ftyp/moov/mdat/free at offset 4), EBML (mkv/webm), RIFF (avi), MPEG-TS/PS, FLV, Ogg. */
function hasMediaSignature(head: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(ascii(4, 8))) return true;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return true;
  if (ascii(0, 4) === 'RIFF' || ascii(0, 3) === 'FLV' || ascii(0, 4) === 'OggS') return true;
  if (head[0] === 0x47 && head[188] === 0x47) return true;
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0xba) return true;
  return false;
}
