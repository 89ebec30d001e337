/**
 * Tiny test videos with known pixels, written by the project's resolved ffmpeg.
 * Frame f is split in two vertical halves: left colour `leftColour(f)`, right `rightColour(f)`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg } from '../../src/video/ffmpegAdapter.ts';

export type Rgb = [number, number, number];

/** Distinct, far-apart colours per frame (steps of 28 levels), so an off-by-one frame shows. */
export function leftColour(frame: number): Rgb {
  return [((40 + 28 * frame) % 224) + 16, 200 - ((frame * 28) % 168), 60];
}
export function rightColour(frame: number): Rgb {
  return [200, 40 + ((frame * 28) % 168), ((220 - 28 * frame) % 200) + 20];
}

/** rgb24 frames [frames, height, width, 3]: left half leftColour(f), right half rightColour(f). */
export function halfFrames(frames: number, width: number, height: number): Uint8Array {
  const data = new Uint8Array(frames * height * width * 3);
  const half = Math.floor(width / 2);
  for (let f = 0; f < frames; f++) {
    const [left, right] = [leftColour(f), rightColour(f)];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const colour = x < half ? left : right;
        data.set(colour, ((f * height + y) * width + x) * 3);
      }
    }
  }
  return data;
}

export interface Workspace {
  dir: string;
  file: (name: string) => string;
  dispose: () => void;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'assemblenet-video-'));
  return {
    dir,
    file: (name) => join(dir, name),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface EncodeSpec {
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** Output options (codec, pixel format, quality). */
  codecArgs: string[];
  /** Extra filters applied before encoding (e.g. setpts for variable frame rate). */
  filter?: string;
  outputArgs?: string[];
}

/** Encodes halfFrames(...) to `path` through a raw rgb24 file. */
export async function writeHalfVideo(
  workspace: Workspace,
  path: string,
  spec: EncodeSpec,
): Promise<void> {
  const raw = `${path}.rgb`;
  writeFileSync(raw, halfFrames(spec.frames, spec.width, spec.height));
  await runFfmpeg([
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${spec.width}x${spec.height}`,
    '-r',
    String(spec.fps),
    '-i',
    raw,
    ...(spec.filter ? ['-vf', spec.filter] : []),
    ...spec.codecArgs,
    ...(spec.outputArgs ?? []),
    path,
  ]);
  rmSync(raw);
}

/** Mean colour of the pixels of an rgb24 frame inside [x0,x1) x [y0,y1). */
export function meanColour(
  data: Uint8Array,
  width: number,
  box: { x0: number; x1: number; y0: number; y1: number },
): Rgb {
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      for (let c = 0; c < 3; c++) sum[c]! += data[(y * width + x) * 3 + c]!;
      count++;
    }
  }
  return sum.map((s) => s / count) as Rgb;
}

export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}
