/**
 * The premise of the synthetic-streams set's ceilings: hue is invisible to optical flow (two
 * videos that differ only in the tint of their objects give the same gray frames and the same
 * flow, up to rounding and the codec), while the timing of the motion is not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  activeFrames,
  builtinSpecPath,
  loadSyntheticSpec,
  planDataset,
  renderScene,
  type MotionDatasetSpec,
  type SceneParams,
} from '../../datasets/index.ts';
import { luminance, tintedColor, tintLuminanceRange } from '../../datasets/synthetic/tint.ts';
import { computeFlow, createVideoWriter, rgbToGray } from '../../src/index.ts';
import { decodeFrames } from './ffmpegFrames.ts';

const spec = loadSyntheticSpec(builtinSpecPath('synthetic-streams')) as MotionDatasetSpec;
const { width, height, frames, fps } = spec.video;
const settings = { width, height, frames, jitter: spec.scene.jitter, noise: spec.scene.noise };
const dir = mkdtempSync(join(tmpdir(), 'anet-streams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same scene with every tinted object's hue turned by 180 degrees (same luminance). */
function oppositeTint(scene: SceneParams): SceneParams {
  const flip = (c: [number, number, number]) => {
    const lum = luminance(c);
    return c.map((v) => 2 * lum - v) as [number, number, number];
  };
  return {
    ...scene,
    objects: scene.objects.map((o) => ({ ...o, color: flip(o.color), accent: flip(o.accent) })),
  };
}

/** The same scene with the class objects' motion moved to the other half of the video. */
function otherHalf(scene: SceneParams): SceneParams {
  const [start, end] = activeFrames([0.5, 1], frames);
  return {
    ...scene,
    objects: scene.objects.map((o) => (o.motion?.kind === 'translate' ? { ...o, start, end } : o)),
  };
}

async function encodeDecode(scene: SceneParams, name: string): Promise<Uint8Array[]> {
  const out = join(dir, `${name}.mp4`);
  const writer = createVideoWriter({ out, width, height, fps, codec: 'h264', crf: spec.video.crf });
  for (const frame of renderScene(scene, settings)) await writer.write(frame);
  await writer.close();
  return decodeFrames(out, width, height);
}

async function flowOf(videoFrames: Uint8Array[]): Promise<Float32Array[]> {
  const gray = videoFrames.map((f) => rgbToGray(f, width, height));
  const fields: Float32Array[] = [];
  for (let t = 0; t + 1 < gray.length; t++)
    fields.push(await computeFlow(gray[t]!, gray[t + 1]!, width, height, { method: 'farneback' }));
  return fields;
}

const meanAbsDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => {
  let sum = 0;
  let n = 0;
  a.forEach((x, t) => {
    for (let i = 0; i < x.length; i++) {
      sum += Math.abs(x[i]! - b[t]![i]!);
      n++;
    }
  });
  return sum / n;
};
const maxAbsDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => {
  let max = 0;
  a.forEach((x, t) => {
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - b[t]![i]!));
  });
  return max;
};

describe('synthetic-streams: what each stream can see', () => {
  it('opposite tints have the same BT.601 luminance (the gray flow reads) and clearly different colours', () => {
    for (const lum of [60, 128, 190]) {
      const warm = tintedColor(lum, 0, spec.scene.tintChroma);
      const cool = tintedColor(lum, 180, spec.scene.tintChroma);
      const gray = (c: number[]) => rgbToGray(Uint8Array.from(c.map(Math.round)), 1, 1)[0]!;
      expect(Math.abs(gray(warm) - gray(cool))).toBeLessThanOrEqual(1);
      expect(luminance(warm)).toBeCloseTo(lum, 9);
      expect(Math.hypot(...warm.map((v, i) => v - cool[i]!))).toBeCloseTo(
        2 * spec.scene.tintChroma,
        6,
      );
    }
    const [lo, hi] = tintLuminanceRange(0, spec.scene.tintChroma);
    for (const c of [...tintedColor(lo, 0, 60), ...tintedColor(hi, 0, 60)]) {
      expect(c).toBeGreaterThanOrEqual(-1e-9);
      expect(c).toBeLessThanOrEqual(255 + 1e-9);
    }
  });

  it('classes that differ only in hue give the same gray frames and the same flow; timing changes the flow', async () => {
    const plan = planDataset({ ...spec, videosPerClass: 1 });
    // class 0: warm, slides right during the first half
    const video = plan.videos.find((v) => v.labels[0] === 0)!;
    const scene = video.scene;
    const rendered = [...renderScene(scene, settings)];
    const renderedTwin = [...renderScene(oppositeTint(scene), settings)];
    // the colours differ (the appearance cue) ...
    expect(maxAbsDiff(rendered, renderedTwin)).toBeGreaterThan(60);
    // ... the gray frames do not, beyond rounding each channel to 8 bits
    const gray = (fs: Uint8Array[]) => fs.map((f) => rgbToGray(f, width, height));
    expect(maxAbsDiff(gray(rendered), gray(renderedTwin))).toBeLessThanOrEqual(1);

    const [original, twin, later] = await Promise.all([
      encodeDecode(scene, 'original'),
      encodeDecode(oppositeTint(scene), 'twin'),
      encodeDecode(otherHalf(scene), 'later'),
    ]);
    expect(original).toHaveLength(frames);
    // through H.264 (chroma subsampled, the encoder's choices): gray within a few levels
    const codecGray = meanAbsDiff(gray(original), gray(twin));
    expect(codecGray).toBeLessThan(3);
    const [flow, flowTwin, flowLater] = await Promise.all([
      flowOf(original),
      flowOf(twin),
      flowOf(later),
    ]);
    const hueEffect = meanAbsDiff(flow, flowTwin);
    const timingEffect = meanAbsDiff(flow, flowLater);
    if (process.env.SHOW_SEPARABILITY) console.log({ codecGray, hueEffect, timingEffect });
    expect(timingEffect).toBeGreaterThan(0.05);
    expect(hueEffect).toBeLessThan(timingEffect / 10);
  });

  it('active windows split the video into halves of equal motion length', () => {
    expect(activeFrames(undefined, 10)).toEqual([0, 9]);
    const first = activeFrames([0, 0.5], 10);
    const second = activeFrames([0.5, 1], 10);
    expect(first).toEqual([0, 4]);
    expect(second).toEqual([5, 9]);
    expect(first[1] - first[0]).toBe(second[1] - second[0]);
  });
});
