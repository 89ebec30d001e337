/**
 * Untrusted media: files that reference other files, declare absurd sizes, or crash the tool.
 * Every case is a real file written by ffmpeg (then edited byte-wise where the case needs it).
 */
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VideoError } from '../../src/errors.ts';
import { MEDIA_BOUNDS } from '../../src/video/bounds.ts';
import { decodeFrames } from '../../src/video/decode.ts';
import { runFfmpeg } from '../../src/video/ffmpegAdapter.ts';
import { readImage } from '../../src/video/image.ts';
import { probeVideo } from '../../src/video/probe.ts';
import {
  listToolCandidates,
  parseToolBuild,
  resetToolChoice,
  resolveTool,
} from '../../src/video/tools.ts';
import { createWorkspace, type Workspace } from './fixtures.ts';

let workspace: Workspace;
let good: string;
let outside: string;
beforeAll(async () => {
  workspace = createWorkspace();
  mkdirSync(workspace.file('root'));
  mkdirSync(workspace.file('elsewhere'));
  good = workspace.file('root/good.mp4');
  outside = workspace.file('elsewhere/secret.mp4');
  for (const path of [good, outside]) {
    await runFfmpeg([
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=32x24:rate=10:duration=0.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      path,
    ]);
  }
});
afterAll(() => workspace.dispose());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

async function decodeAll(path: string, info?: Awaited<ReturnType<typeof probeVideo>>) {
  const frames = [];
  for await (const frame of decodeFrames(path, info ? { info } : {})) frames.push(frame);
  return frames;
}

describe('formats that open other files are refused', () => {
  it('an ffconcat file named .mp4 inside the root, naming a symlink to a file outside: probe and decode refuse it', async () => {
    symlinkSync(outside, workspace.file('root/link.mp4'));
    const evil = workspace.file('root/evil.mp4');
    writeFileSync(evil, 'ffconcat version 1.0\nfile link.mp4\n');
    const error = await rejection(probeVideo(evil));
    expect(error).toBeInstanceOf(VideoError);
    expect(error.message).toMatch(/got format "concat".*refused/);
    expect(error.message).toContain(evil);
    // ffmpeg itself refuses it too, with the probe skipped (a probe result of a real video)
    const info = { ...(await probeVideo(good)), path: evil };
    await expect(decodeAll(evil, info)).rejects.toThrow(/not on whitelist/);
  });

  it('a local HLS playlist naming a local segment: refused as format "hls"', async () => {
    const playlist = workspace.file('root/list.m3u8');
    writeFileSync(
      playlist,
      '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\ngood.mp4\n#EXT-X-ENDLIST\n',
    );
    const error = await rejection(probeVideo(playlist));
    expect(error.message).toMatch(/got format "hls".*refused/);
  });

  it('the real containers still pass: mp4, mkv, webm, avi, ts, flv, ogg', async () => {
    const outputs: [string, string[]][] = [
      ['c.mkv', ['-c:v', 'libx264']],
      ['c.webm', ['-c:v', 'libvpx', '-b:v', '200k']],
      ['c.avi', ['-c:v', 'mjpeg']],
      ['c.ts', ['-c:v', 'mpeg2video']],
      ['c.flv', ['-c:v', 'flv']],
      ['c.ogv', ['-c:v', 'libtheora']],
    ];
    for (const [name, codec] of outputs) {
      const path = workspace.file(name);
      await runFfmpeg(['-y', '-i', good, '-frames:v', '3', ...codec, '-pix_fmt', 'yuv420p', path]);
      const info = await probeVideo(path);
      expect(info.width, name).toBe(32);
      expect((await decodeAll(path, info)).length, name).toBeGreaterThan(0);
    }
  });
});

describe('declared sizes are bounded before decoding', () => {
  it('a stream declaring 12000x12000 (mjpeg in avi, headers edited): a VideoError stating the bound, not ffmpeg noise', async () => {
    const small = workspace.file('small.avi');
    await runFfmpeg(['-y', '-i', good, '-c:v', 'mjpeg', '-frames:v', '3', small]);
    const bytes = Buffer.from(readFileSync(small));
    const avih = bytes.indexOf('avih') + 8;
    bytes.writeUInt32LE(12000, avih + 32);
    bytes.writeUInt32LE(12000, avih + 36);
    const strf = bytes.indexOf('strf') + 8;
    bytes.writeInt32LE(12000, strf + 4);
    bytes.writeInt32LE(12000, strf + 8);
    for (let at = bytes.indexOf(Buffer.from([0xff, 0xc0])); at >= 0; ) {
      bytes.writeUInt16BE(12000, at + 5);
      bytes.writeUInt16BE(12000, at + 7);
      at = bytes.indexOf(Buffer.from([0xff, 0xc0]), at + 2);
    }
    const big = workspace.file('big.avi');
    writeFileSync(big, bytes);
    const error = await rejection(probeVideo(big));
    expect(error).toBeInstanceOf(VideoError);
    expect(error.message).toContain(`at most ${MEDIA_BOUNDS.maxSide} px per side`);
    expect(error.message).toContain('got 12000x12000');
    await expect(decodeAll(big)).rejects.toThrow(/at most 8192 px per side/);
  });

  it('flow input: a PNG declaring 12000x12000 is refused with the bound before any pixel is decoded', async () => {
    const png = workspace.file('small.png');
    await runFfmpeg(['-y', '-i', good, '-frames:v', '1', png]);
    const bytes = Buffer.from(readFileSync(png));
    bytes.writeUInt32BE(12000, 16);
    bytes.writeUInt32BE(12000, 20);
    bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
    const big = workspace.file('big.png');
    writeFileSync(big, bytes);
    const error = await rejection(readImage(big));
    expect(error).toBeInstanceOf(VideoError);
    expect(error.message).toMatch(/at most 8192 px per side and 8\.3 MP, got 12000x12000/);
    expect(error.message).toContain('downscale');
  });
});

describe('ffmpeg choice and crashes', () => {
  const saved = { path: process.env.PATH, ffprobe: process.env.FFPROBE_PATH };
  afterEach(() => {
    process.env.PATH = saved.path;
    if (saved.ffprobe === undefined) delete process.env.FFPROBE_PATH;
    else process.env.FFPROBE_PATH = saved.ffprobe;
    resetToolChoice();
  });

  function fakeTool(dir: string, name: string, body: string): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('an ffprobe crash (killed by SIGSEGV) is reported as a crash, never as "not media"', async () => {
    process.env.FFPROBE_PATH = fakeTool(workspace.file('crash'), 'ffprobe', 'kill -SEGV $$');
    resetToolChoice();
    const text = workspace.file('root/notes.mp4');
    writeFileSync(text, 'plain text, which would read as "not media"\n');
    const error = await rejection(probeVideo(text));
    expect(error).toBeInstanceOf(VideoError);
    expect(error.message).toMatch(/ffprobe killed by signal SIGSEGV/);
    expect(error.message).not.toMatch(/not media/);
  });

  it('reads version and build year, for releases and for git snapshots (libavutil major)', () => {
    expect(
      parseToolBuild(
        'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2025 the FFmpeg developers\n',
      ),
    ).toMatchObject({ version: '5.1.9', major: 5, year: 2025 });
    expect(
      parseToolBuild(
        'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers\n' +
          'libavutil      56. 24.101 / 56. 24.101\n',
      ),
    ).toMatchObject({ major: 4, year: 2018, version: '4.x (git N-47683-g0e8eb07980-static)' });
  });

  it('prefers an ffmpeg >= 5 on PATH, passes over an older one for the bundled build', () => {
    const old = workspace.file('old-bin');
    fakeTool(
      old,
      'ffmpeg',
      'echo "ffmpeg version 4.4.2 Copyright (c) 2000-2021 the FFmpeg developers"',
    );
    const fresh = workspace.file('new-bin');
    fakeTool(
      fresh,
      'ffmpeg',
      'echo "ffmpeg version 6.1.1 Copyright (c) 2000-2023 the FFmpeg developers"',
    );

    process.env.PATH = `${fresh}:${saved.path}`;
    resetToolChoice();
    expect(resolveTool('ffmpeg')).toMatchObject({
      path: join(fresh, 'ffmpeg'),
      source: 'PATH (maintained)',
    });

    process.env.PATH = old;
    resetToolChoice();
    const tool = resolveTool('ffmpeg');
    expect(tool.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(tool.skipped.find((s) => s.source === 'PATH (maintained)')?.reason).toMatch(
      /version 4, older than 5/,
    );
    const candidates = listToolCandidates('ffmpeg');
    expect(candidates.filter((c) => c.chosen).map((c) => c.source)).toEqual([
      '@ffmpeg-installer/ffmpeg',
    ]);
    expect(candidates.find((c) => c.source === '@ffmpeg-installer/ffmpeg')?.build?.year).toBe(2018);
  });
});
