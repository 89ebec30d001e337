import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { VideoError } from '../../src/errors.ts';
import { runFfmpeg } from '../../src/video/ffmpegAdapter.ts';
import { probeVideo } from '../../src/video/probe.ts';
import { decodeFrames } from '../../src/video/decode.ts';
import { createWorkspace } from './fixtures.ts';
import type { Workspace } from './fixtures.ts';

let workspace: Workspace;
let good: string;
beforeAll(async () => {
  workspace = createWorkspace();
  good = workspace.file('good.mp4');
  // moov at the end (no faststart), so cutting the file loses the index.
  await runFfmpeg([
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=25:duration=2',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    good,
  ]);
});
afterAll(() => workspace.dispose());

async function probeError(path: string): Promise<VideoError> {
  const error = await probeVideo(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VideoError);
  return error as VideoError;
}

describe('probeVideo', () => {
  it('h264 mp4 64x48 25 fps 2 s: duration, rates, frame count from the container', async () => {
    const info = await probeVideo(good);
    expect(info).toMatchObject({
      codec: 'h264',
      width: 64,
      height: 48,
      rotation: 0,
      avgFrameRate: 25,
      rFrameRate: 25,
      avgFrameRateText: '25/1',
      frameCount: 50,
      frameCountSource: 'container',
      variableFrameRate: false,
    });
    expect(info.duration).toBeCloseTo(2, 2);
    expect(info.container).toContain('mp4');
  });

  it('missing file: names the file', async () => {
    const path = workspace.file('nope.mp4');
    const error = await probeError(path);
    expect(error.message).toContain('no such file');
    expect(error.message).toContain(path);
  });

  it('zero-byte file', async () => {
    const path = workspace.file('empty.mp4');
    writeFileSync(path, '');
    const error = await probeError(path);
    expect(error.message).toMatch(/empty \(0-byte\)/);
    expect(error.message).toContain(path);
  });

  it('text renamed to .mp4', async () => {
    const path = workspace.file('notes.mp4');
    writeFileSync(path, 'these are my notes, not a video\n'.repeat(20));
    const error = await probeError(path);
    expect(error.message).toMatch(/got text/);
    expect(error.message).toContain(path);
  });

  it('truncated mp4 (first 40% of the bytes)', async () => {
    const path = workspace.file('cut.mp4');
    const bytes = readFileSync(good);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const error = await probeError(path);
    expect(error.message).toMatch(/truncated or damaged/);
    expect(error.message).toContain(path);
  });

  it('random binary bytes', async () => {
    const path = workspace.file('noise.mp4');
    const noise = new Uint8Array(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) % 251;
    noise[5] = 0;
    writeFileSync(path, noise);
    const error = await probeError(path);
    expect(error.message).toContain(path);
  });

  it('audio only: no video stream', async () => {
    const path = workspace.file('tone.m4a');
    await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac', path]);
    const error = await probeError(path);
    expect(error.message).toMatch(/expected a video stream/);
    expect(error.message).toContain('got audio');
  });

  it('decodeFrames surfaces the same specific error', async () => {
    const path = workspace.file('notes2.mp4');
    writeFileSync(path, 'hello\n');
    const run = async () => {
      for await (const _ of decodeFrames(path)) void _;
    };
    await expect(run()).rejects.toThrow(/got text/);
  });
});

describe('untrusted input: -protocol_whitelist file,pipe and -format_whitelist', () => {
  const playlist =
    '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:9/segment.ts\n#EXT-X-ENDLIST\n';

  it('probe: a playlist pointing at http is refused (hls is not a whitelisted format), naming the file', async () => {
    const path = workspace.file('remote.m3u8');
    writeFileSync(path, playlist);
    const error = await probeError(path);
    expect(error.message).toMatch(/got format "hls".*refused/);
    expect(error.message).toContain(path);
  });

  it('decode (ffmpeg itself, probe skipped): http is not on the whitelist', async () => {
    const path = workspace.file('remote2.m3u8');
    writeFileSync(path, playlist);
    const info = { ...(await probeVideo(good)), path };
    const run = async () => {
      for await (const _ of decodeFrames(path, { info })) void _;
    };
    await expect(run()).rejects.toThrow(/whitelist/);
  });
});
