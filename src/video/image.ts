/**
 * Still images (PNG, JPEG, anything ffmpeg decodes) as rgb24 through the resolved ffmpeg and
 * ffprobe: spawned with argument arrays (no shell), inputs restricted to local files.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, ToolError, VideoError } from '../errors.ts';
import { MEDIA_BOUNDS, checkFrameSize } from './bounds.ts';
import { STILL_FORMATS, whitelistArgs } from './ffmpegAdapter.ts';
import { resolveTool } from './tools.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** rgb24 bytes, [height, width, 3]. */
  rgb: Uint8Array;
}

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(binary: string, args: string[], input?: Uint8Array): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(binary, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (error) =>
      fail(new ToolError(`${binary}: could not start (${error.message})`)),
    );
    child.on('close', (code, signal) =>
      done({
        code,
        stdout: Buffer.concat(chunks),
        stderr: signal ? `${stderr}\nkilled by signal ${signal} (a crash of ${binary})` : stderr,
      }),
    );
    if (input && child.stdin) {
      child.stdin.on('error', () => {}); // ffmpeg may exit before reading everything; reported via code
      child.stdin.end(input);
    }
  });
}

/** Last meaningful line of ffmpeg's stderr, for error messages. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? 'no output';
}

/** `file:` URL form of a path, so names like "x:y.png" are never read as protocols. */
function fileInput(path: string): string {
  return `file:${resolve(path)}`;
}

async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`image: expected a readable file, got ${code}`, path);
  }
}

/**
 * Width and height of the first video stream of an image file (ffprobe), within
 * `maxPixels` (default MEDIA_BOUNDS.maxStillPixels: what optical flow can hold in memory).
 */
export async function probeImageSize(
  path: string,
  maxPixels: number = MEDIA_BOUNDS.maxStillPixels,
): Promise<{ width: number; height: number }> {
  await checkReadable(path);
  const ffprobe = resolveTool('ffprobe');
  const result = await run(ffprobe.path, [
    '-v',
    'error',
    ...whitelistArgs(STILL_FORMATS),
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0:s=x',
    fileInput(path),
  ]);
  const match = /^(\d+)x(\d+)/.exec(result.stdout.toString('utf8').trim());
  if (result.code !== 0 || !match) {
    throw new VideoError(
      `image: expected a decodable image, got "${lastLine(result.stderr || 'no image stream')}"`,
      path,
    );
  }
  const size = { width: Number(match[1]), height: Number(match[2]) };
  checkFrameSize(
    size.width,
    size.height,
    path,
    'an image (downscale it first, e.g. ffmpeg -i IN -vf scale=1920:-2 OUT)',
    maxPixels,
  );
  return size;
}

/** Decodes the first frame of an image file to rgb24 (sizes bounded as in probeImageSize). */
export async function readImage(
  path: string,
  maxPixels: number = MEDIA_BOUNDS.maxStillPixels,
): Promise<RgbImage> {
  const { width, height } = await probeImageSize(path, maxPixels);
  const ffmpeg = resolveTool('ffmpeg');
  const result = await run(ffmpeg.path, [
    '-v',
    'error',
    '-nostdin',
    ...whitelistArgs(STILL_FORMATS),
    '-i',
    fileInput(path),
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  const expected = width * height * 3;
  if (result.code !== 0 || result.stdout.length !== expected) {
    throw new VideoError(
      `image: expected ${width}x${height} rgb24 (${expected} bytes), got ${result.stdout.length} bytes ` +
        `(ffmpeg exit ${result.code}: ${lastLine(result.stderr)})`,
      path,
    );
  }
  const rgb = new Uint8Array(
    result.stdout.buffer,
    result.stdout.byteOffset,
    result.stdout.byteLength,
  );
  return { width, height, rgb };
}

/** Writes rgb24 bytes [height, width, 3] as an image; the format follows the extension (.png, .jpg). */
export async function writeImage(path: string, image: RgbImage): Promise<void> {
  const { width, height, rgb } = image;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    rgb.length !== width * height * 3
  ) {
    throw new InputError(
      `image: expected ${width}x${height}x3 = ${width * height * 3} rgb24 bytes, got ${rgb.length}`,
      path,
    );
  }
  const ffmpeg = resolveTool('ffmpeg');
  const result = await run(
    ffmpeg.path,
    [
      '-v',
      'error',
      '-y',
      '-protocol_whitelist',
      'file,pipe',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-i',
      'pipe:0',
      '-frames:v',
      '1',
      '-update',
      '1',
      fileInput(path),
    ],
    rgb,
  );
  if (result.code !== 0) {
    throw new VideoError(
      `image: expected ffmpeg to write the image, got exit ${result.code}: ${lastLine(result.stderr)}`,
      path,
    );
  }
}
