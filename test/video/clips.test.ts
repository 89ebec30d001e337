import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { createRng } from '../../src/util/random.ts';
import {
  clipSpan,
  gridFrameCount,
  sampleTestClips,
  sampleTrainingClip,
} from '../../src/video/clips.ts';
import type { ClipSpec } from '../../src/video/clips.ts';

// rgb stride 1 (T=4), rgb stride 4 (T=4), flow stride 1 (T=4, pairs i,i+1): span = max(4, 13, 5) = 13
const SPEC: ClipSpec = {
  fps: 10,
  streams: [
    { name: 'rgb', kind: 'rgb', frames: 4, stride: 1 },
    { name: 'rgb_slow', kind: 'rgb', frames: 4, stride: 4 },
    { name: 'flow', kind: 'flow', frames: 4, stride: 1 },
  ],
};

describe('clipSpan', () => {
  it('rgb s1 T4 + rgb s4 T4 + flow s1 T4 -> 13', () => expect(clipSpan(SPEC)).toBe(13));
  it('rejects stride 0 with a path', () => {
    expect(() =>
      clipSpan({ fps: 10, streams: [{ name: 'a', kind: 'rgb', frames: 4, stride: 0 }] }),
    ).toThrow(/streams\[0\]\.stride/);
  });
});

describe('sampleTestClips', () => {
  it('one centred clip in 33 frames: start 10, hand-computed indices per stream', () => {
    const [clip] = sampleTestClips(SPEC, { frameCount: 33 });
    // starts 0..20, centre 10; rgb offset floor((13-4)/2)=4; slow offset 0; flow offset floor((13-5)/2)=4
    expect(clip!.start).toBe(10);
    expect(clip!.streams.map((s) => s.indices)).toEqual([
      [14, 15, 16, 17],
      [10, 14, 18, 22],
      [14, 15, 16, 17],
    ]);
    expect(clip!.streams[2]!.pairIndices).toEqual([15, 16, 17, 18]);
    expect(clip!.streams[1]!.timestamps).toEqual([1, 1.4, 1.8, 2.2]);
    expect(clip!.decodeIndices).toEqual([10, 14, 15, 16, 17, 18, 22]);
  });

  it('3 evenly spaced clips over 33 frames start at 0, 10, 20', () => {
    expect(sampleTestClips(SPEC, { frameCount: 33 }, { count: 3 }).map((c) => c.start)).toEqual([
      0, 10, 20,
    ]);
  });

  it("align 'start' puts every stream at the window start", () => {
    const [clip] = sampleTestClips({ ...SPEC, align: 'start' }, { frameCount: 13 });
    expect(clip!.streams.map((s) => s.indices[0])).toEqual([0, 0, 0]);
  });

  it('video shorter than a clip (8 frames): clamp repeats the last frame, loop wraps', () => {
    const [clamped] = sampleTestClips(SPEC, { frameCount: 8 });
    expect(clamped!.streams[1]!.indices).toEqual([0, 4, 7, 7]);
    expect(clamped!.streams[2]!.pairIndices).toEqual([5, 6, 7, 7]);
    const [looped] = sampleTestClips({ ...SPEC, short: 'loop' }, { frameCount: 8 });
    expect(looped!.streams[1]!.indices).toEqual([0, 4, 0, 4]);
    expect(looped!.streams[0]!.indices).toEqual([4, 5, 6, 7]);
    expect(looped!.streams[2]!.pairIndices).toEqual([5, 6, 7, 0]);
  });

  it('segment [3 s, 5 s] of a 10 s video: clips stay inside frames 30..50', () => {
    const clips = sampleTestClips(
      SPEC,
      { frameCount: 100 },
      { count: 4, segment: { start: 3, end: 5 } },
    );
    expect(clips.map((c) => c.start)).toEqual([30, 33, 35, 38]); // 30 + k*8/3 rounded;
    for (const clip of clips) {
      expect(Math.min(...clip.decodeIndices)).toBeGreaterThanOrEqual(30);
      expect(Math.max(...clip.decodeIndices)).toBeLessThanOrEqual(50);
    }
  });

  it('segment shorter than a clip is centred on, borrowing frames around it; at the video end it is pushed inside', () => {
    const [middle] = sampleTestClips(
      SPEC,
      { frameCount: 100 },
      { segment: { start: 4, end: 4.2 } },
    );
    // segment frames 40..42, centre 41, span 13 -> start 35
    expect(middle!.start).toBe(35);
    const [end] = sampleTestClips(SPEC, { frameCount: 100 }, { segment: { start: 9.8, end: 12 } });
    expect(end!.start).toBe(87);
    expect(Math.max(...end!.decodeIndices)).toBe(99);
  });
});

describe('sampleTrainingClip', () => {
  it('seeded: same seed same clip; starts cover the whole range uniformly', () => {
    const a = sampleTrainingClip(SPEC, { frameCount: 40 }, { seed: 3 });
    const b = sampleTrainingClip(SPEC, { frameCount: 40 }, { seed: 3 });
    expect(a).toEqual(b);
    const rng = createRng(11);
    const counts = new Array(28).fill(0);
    for (let i = 0; i < 5600; i++)
      counts[sampleTrainingClip(SPEC, { frameCount: 40 }, { rng }).start]++;
    // starts 0..27 (40 - 13), each expected 200 times
    expect(counts.every((c) => c > 120 && c < 280)).toBe(true);
  });

  it('inside a segment: every index within the segment frames', () => {
    for (let seed = 0; seed < 50; seed++) {
      const clip = sampleTrainingClip(
        SPEC,
        { frameCount: 300 },
        { seed, segment: { start: 10, end: 13 } },
      );
      expect(Math.min(...clip.decodeIndices)).toBeGreaterThanOrEqual(100);
      expect(Math.max(...clip.decodeIndices)).toBeLessThanOrEqual(130);
    }
  });

  it('bad inputs are InputErrors', () => {
    expect(() => sampleTrainingClip(SPEC, { frameCount: 0 })).toThrow(InputError);
    expect(() =>
      sampleTrainingClip(SPEC, { frameCount: 10 }, { segment: { start: 2, end: 1 } }),
    ).toThrow(/segment end/);
  });
});

describe('gridFrameCount', () => {
  it('native rate keeps the probed count; another rate uses duration x fps', () => {
    const video = { duration: 4, avgFrameRate: 25, frameCount: 99 };
    expect(gridFrameCount(video, 25)).toBe(99);
    expect(gridFrameCount(video, 10)).toBe(40);
  });
});
