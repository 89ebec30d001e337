import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { runFfmpeg } from '../../src/video/ffmpegAdapter.ts';
import { probeVideo } from '../../src/video/probe.ts';
import { decodeFrameIndices, decodeFrames } from '../../src/video/decode.ts';
import type { DecodedFrame } from '../../src/video/decode.ts';
import {
  colourDistance,
  createWorkspace,
  leftColour,
  meanColour,
  rightColour,
  writeHalfVideo,
} from './fixtures.ts';
import type { Rgb, Workspace } from './fixtures.ts';

let workspace: Workspace;
beforeAll(() => {
  workspace = createWorkspace();
});
afterAll(() => workspace.dispose());

async function collect(iterable: AsyncIterable<DecodedFrame>): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  for await (const frame of iterable) frames.push(frame);
  return frames;
}

/** Mean colours of the interiors of the left and right halves (edges blur under chroma subsampling). */
function halves(frame: DecodedFrame): [Rgb, Rgb] {
  const { width, height, data } = frame;
  const half = Math.floor(width / 2);
  const y0 = Math.floor(height * 0.2);
  const y1 = Math.ceil(height * 0.8);
  return [
    meanColour(data, width, { x0: Math.floor(half * 0.2), x1: Math.floor(half * 0.8), y0, y1 }),
    meanColour(data, width, {
      x0: half + Math.ceil((width - half) * 0.2),
      x1: half + Math.floor((width - half) * 0.8),
      y0,
      y1,
    }),
  ];
}

function expectFrameColours(frame: DecodedFrame, sourceFrame: number, tolerance = 12): void {
  const [left, right] = halves(frame);
  expect(
    colourDistance(left, leftColour(sourceFrame)),
    `left of frame ${frame.index} vs source ${sourceFrame}`,
  ).toBeLessThanOrEqual(tolerance);
  expect(
    colourDistance(right, rightColour(sourceFrame)),
    `right of frame ${frame.index} vs source ${sourceFrame}`,
  ).toBeLessThanOrEqual(tolerance);
}

const CONTAINERS = [
  {
    name: 'mp4/h264',
    file: 'c.mp4',
    codec: 'h264',
    container: 'mp4',
    count: 'container',
    args: ['-c:v', 'libx264', '-crf', '8', '-pix_fmt', 'yuv420p'],
  },
  {
    name: 'webm/vp9',
    file: 'c.webm',
    codec: 'vp9',
    container: 'webm',
    count: 'estimated',
    args: ['-c:v', 'libvpx-vp9', '-crf', '10', '-b:v', '0', '-pix_fmt', 'yuv420p'],
  },
  {
    name: 'avi/mpeg4',
    file: 'c.avi',
    codec: 'mpeg4',
    container: 'avi',
    count: 'container',
    args: ['-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p'],
  },
  {
    name: 'mkv/mjpeg',
    file: 'c.mkv',
    codec: 'mjpeg',
    container: 'matroska',
    count: 'estimated',
    args: ['-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p'],
  },
] as const;

describe('decodeFrames: containers and codecs, 48x32, 8 frames at 10 fps', () => {
  for (const c of CONTAINERS) {
    it(`${c.name}: probe and every frame's colours`, async () => {
      const path = workspace.file(c.file);
      await writeHalfVideo(workspace, path, {
        frames: 8,
        width: 48,
        height: 32,
        fps: 10,
        codecArgs: [...c.args],
      });
      const info = await probeVideo(path);
      expect(info.codec).toBe(c.codec);
      expect(info.container).toContain(c.container);
      expect([info.width, info.height, info.rotation]).toEqual([48, 32, 0]);
      expect(info.avgFrameRate).toBeCloseTo(10, 5);
      expect(info.frameCount).toBe(8);
      expect(info.frameCountSource).toBe(c.count);
      const frames = await collect(decodeFrames(path, { info }));
      expect(frames.length).toBe(8);
      frames.forEach((frame, f) => {
        expect([frame.index, frame.width, frame.height, frame.data.length]).toEqual([
          f,
          48,
          32,
          48 * 32 * 3,
        ]);
        expect(frame.timestamp).toBeCloseTo(f / 10, 9);
        expectFrameColours(frame, f);
      });
      const counted = await probeVideo(path, { countFrames: true });
      expect([counted.frameCount, counted.frameCountSource]).toEqual([8, 'counted']);
    });
  }
});

describe('decodeFrames: sizes, rates, windows', () => {
  let path: string;
  beforeAll(async () => {
    // 97x61: odd sizes need a pixel format without chroma subsampling for x264.
    path = workspace.file('odd.mp4');
    await writeHalfVideo(workspace, path, {
      frames: 8,
      width: 97,
      height: 61,
      fps: 10,
      codecArgs: ['-c:v', 'libx264', '-crf', '8', '-pix_fmt', 'yuv444p', '-g', '3'],
    });
  });

  it('97x61 native size: 8 frames of 97*61*3 bytes', async () => {
    const frames = await collect(decodeFrames(path));
    expect(frames.map((f) => [f.width, f.height, f.data.length])).toEqual(
      Array(8).fill([97, 61, 97 * 61 * 3]),
    );
    frames.forEach((frame, f) => expectFrameColours(frame, f));
  });

  it('shortSide=30 crop=24 center: 24x24, left/right halves keep their colours', async () => {
    const frames = await collect(decodeFrames(path, { shortSide: 30, crop: 24 }));
    expect(frames.length).toBe(8);
    // 97x61 -> 48x30 (round(97*30/61) = 48); the 24-wide centre crop spans x 12..36 (the middle is 24).
    expect([frames[0]!.width, frames[0]!.height]).toEqual([24, 24]);
    frames.forEach((frame, f) => expectFrameColours(frame, f, 14));
  });

  it('random crop: same seed same pixels, the crop is inside the resized frame', async () => {
    const a = await collect(
      decodeFrames(path, {
        shortSide: 30,
        crop: { width: 20, height: 10 },
        cropMode: 'random',
        seed: 7,
        maxFrames: 1,
      }),
    );
    const b = await collect(
      decodeFrames(path, {
        shortSide: 30,
        crop: { width: 20, height: 10 },
        cropMode: 'random',
        seed: 7,
        maxFrames: 1,
      }),
    );
    expect([a[0]!.width, a[0]!.height]).toEqual([20, 10]);
    expect(Buffer.from(a[0]!.data).equals(Buffer.from(b[0]!.data))).toBe(true);
  });

  it('fps=5 on a 10 fps video keeps every other frame; start/duration cut the window', async () => {
    const frames = await collect(decodeFrames(path, { fps: 5 }));
    expect(frames.length).toBe(4);
    frames.forEach((frame, k) => {
      expect(frame.timestamp).toBeCloseTo(k / 5, 9);
      expectFrameColours(frame, 2 * k);
    });
    const window = await collect(decodeFrames(path, { start: 0.3, duration: 0.3 }));
    expect(window.length).toBe(3);
    window.forEach((frame, k) => {
      expect(frame.timestamp).toBeCloseTo(0.3 + k / 10, 9);
      expectFrameColours(frame, 3 + k);
    });
  });

  it('fps=20 on a 10 fps video repeats each frame twice', async () => {
    const frames = await collect(decodeFrames(path, { fps: 20 }));
    expect(frames.length).toBe(16);
    frames.forEach((frame, k) => expectFrameColours(frame, Math.floor(k / 2)));
  });

  it('breaking out early stops ffmpeg and returns promptly', async () => {
    let seen = 0;
    for await (const frame of decodeFrames(path)) {
      seen = frame.index + 1;
      if (seen === 2) break;
    }
    expect(seen).toBe(2);
  });
});

describe('decodeFrameIndices', () => {
  it('frames at indices equal the same frames of a full decode (fps 10 grid on 25 fps, keyframes every 10)', async () => {
    const path = workspace.file('seek.mp4');
    await runFfmpeg([
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=25:duration=4',
      '-c:v',
      'libx264',
      '-crf',
      '20',
      '-g',
      '10',
      '-pix_fmt',
      'yuv420p',
      path,
    ]);
    const options = { fps: 10, shortSide: 32, crop: 32 } as const;
    const full = await collect(decodeFrames(path, options));
    expect(full.length).toBe(40);
    const indices = [31, 12, 12, 25, 39];
    const picked = await decodeFrameIndices(path, indices, options);
    expect(picked.map((f) => f.index)).toEqual(indices);
    for (const frame of picked) {
      expect(frame.timestamp).toBeCloseTo(frame.index / 10, 9);
      expect(
        Buffer.from(frame.data).equals(Buffer.from(full[frame.index]!.data)),
        `index ${frame.index}`,
      ).toBe(true);
    }
    // Native grid (default fps = the video's rate).
    const native = await collect(decodeFrames(path, { maxFrames: 60 }));
    const nativePicked = await decodeFrameIndices(path, [50, 7]);
    expect(Buffer.from(nativePicked[0]!.data).equals(Buffer.from(native[50]!.data))).toBe(true);
    expect(Buffer.from(nativePicked[1]!.data).equals(Buffer.from(native[7]!.data))).toBe(true);
  });
});

describe('rotation metadata', () => {
  it('rotate tag set by stream copy: probe gives display size, decode is the source turned by probe.rotation', async () => {
    const source = workspace.file('upright.mp4');
    const rotated = workspace.file('rotated.mp4');
    await writeHalfVideo(workspace, source, {
      frames: 3,
      width: 32,
      height: 16,
      fps: 10,
      codecArgs: ['-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p'],
    });
    await runFfmpeg(['-y', '-i', source, '-c', 'copy', '-metadata:s:v', 'rotate=90', rotated]);
    const info = await probeVideo(rotated);
    expect([info.codedWidth, info.codedHeight]).toEqual([32, 16]);
    expect([90, 270]).toContain(info.rotation);
    expect([info.width, info.height]).toEqual([16, 32]);
    const [upright] = await collect(decodeFrames(source, { maxFrames: 1 }));
    const [turned] = await collect(decodeFrames(rotated, { maxFrames: 1 }));
    expect([turned!.width, turned!.height]).toEqual([16, 32]);
    // Reference: turn the upright frame by info.rotation clockwise, pixel by pixel.
    const expected = rotateClockwise(upright!.data, 32, 16, info.rotation);
    expect(Buffer.from(turned!.data).equals(Buffer.from(expected))).toBe(true);
  });
});

/** [h, w, 3] turned clockwise by 90 or 270 degrees -> [w, h, 3]. */
function rotateClockwise(
  data: Uint8Array,
  width: number,
  height: number,
  degrees: number,
): Uint8Array {
  const out = new Uint8Array(data.length);
  const outWidth = height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // 90 cw: (x, y) -> (height-1-y, x); 270 cw: (x, y) -> (y, width-1-x)
      const [ox, oy] = degrees === 90 ? [height - 1 - y, x] : [y, width - 1 - x];
      out.set(
        data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
        (oy * outWidth + ox) * 3,
      );
    }
  }
  return out;
}

describe('variable frame rate', () => {
  it('native decode gives every frame; fps=10 holds each frame until the next one starts', async () => {
    const path = workspace.file('vfr.mkv');
    // Source frames at t = 0, .1, .2, .5, .6, 1.0 s.
    await writeHalfVideo(workspace, path, {
      frames: 6,
      width: 32,
      height: 32,
      fps: 10,
      filter: 'setpts=(N*0.1+gte(N\\,3)*0.2+gte(N\\,5)*0.3)/TB',
      codecArgs: ['-c:v', 'libx264', '-crf', '8', '-pix_fmt', 'yuv420p'],
      outputArgs: ['-vsync', 'vfr'],
    });
    const info = await probeVideo(path);
    expect(info.duration).toBeGreaterThan(0.99);
    const native = await collect(decodeFrames(path, { info }));
    expect(native.length).toBe(6);
    native.forEach((frame, f) => expectFrameColours(frame, f));
    const grid = await collect(decodeFrames(path, { info, fps: 10 }));
    const expectedSource = [0, 1, 2, 2, 2, 3, 4, 4, 4, 4, 5];
    expect(grid.length).toBeGreaterThanOrEqual(expectedSource.length);
    expectedSource.forEach((source, k) => expectFrameColours(grid[k]!, source));
  });
});

describe('truncated webm (probe still reads the header duration)', () => {
  it('decodeFrameIndices far past the real end is a VideoError; just past it clamps', async () => {
    const path = workspace.file('long.webm');
    await runFfmpeg([
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=10:duration=6',
      '-c:v',
      'libvpx-vp9',
      '-b:v',
      '200k',
      path,
    ]);
    const cut = workspace.file('cut.webm');
    const bytes = readFileSync(path);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const info = await probeVideo(cut);
    expect(info.frameCount).toBe(60);
    const decoded = (await collect(decodeFrames(cut, { info }))).length;
    expect(decoded).toBeLessThan(40);
    await expect(decodeFrameIndices(cut, [55], { info })).rejects.toThrow(/truncated file/);
    const clamped = await decodeFrameIndices(cut, [decoded], { info });
    const all = await collect(decodeFrames(cut, { info }));
    expect(Buffer.from(clamped[0]!.data).equals(Buffer.from(all[decoded - 1]!.data))).toBe(true);
  });
});

describe('option checks', () => {
  it('fps text other than a number or rational is refused (it would enter the filter graph)', async () => {
    const info = {
      path: 'x.mp4',
      container: 'mp4',
      codec: 'h264',
      pixelFormat: 'yuv420p',
      duration: 1,
      avgFrameRate: 10,
      rFrameRate: 10,
      avgFrameRateText: '10/1',
      frameCount: 10,
      frameCountSource: 'container' as const,
      width: 8,
      height: 8,
      codedWidth: 8,
      codedHeight: 8,
      rotation: 0,
      variableFrameRate: false,
    };
    const run = async (fps: string | number) => {
      for await (const _ of decodeFrames('x.mp4', { info, fps })) void _;
    };
    await expect(run('25,drawtext=text=x')).rejects.toThrow(/expected fps/);
    await expect(run(-1)).rejects.toThrow(/expected fps/);
  });
});
