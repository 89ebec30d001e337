import { motionOffset } from './motion.ts';
import { Prng } from './prng.ts';
import type { MotionSpec, ShapeName } from './spec.ts';

export type Rgb = [number, number, number];

/** A sinusoidal grating of the background texture (cycles per pixel along x and y). */
export interface Grating {
  fx: number;
  fy: number;
  phase: number;
  amplitude: Rgb;
}

export interface BackgroundParams {
  base: Rgb;
  gratings: Grating[];
  /** Amplitude of the static per-pixel grain. */
  grain: number;
}

/** One object of a scene; `motion` null keeps it still (a distractor). */
export interface ObjectParams {
  shape: ShapeName;
  /** Diameter in pixels at scale 1. */
  size: number;
  color: Rgb;
  /** Second colour on the object's +x half, so that rotation is visible on every shape. */
  accent: Rgb;
  /** Centre at frame 0 (pixels) and initial rotation (degrees). */
  x: number;
  y: number;
  angle: number;
  /** Oscillation phase (radians). */
  phase: number;
  motion: MotionSpec | null;
  /** The object moves during frames [start, end] and holds still before and after. */
  start: number;
  end: number;
}

export interface SceneParams {
  background: BackgroundParams;
  objects: ObjectParams[];
  speedFactor: number;
  /** Seeds the camera jitter and the sensor noise. */
  renderSeed: number;
}

export interface RenderSettings {
  width: number;
  height: number;
  frames: number;
  /** Maximum camera offset in pixels. */
  jitter: number;
  /** Per-frame noise amplitude on 0..255. */
  noise: number;
}

/** Is the unit-space point (u, v) (radius 1 = half the size) inside the shape? */
function insideShape(shape: ShapeName, u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return u * u + v * v <= 1;
    case 'ring': {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= 0.3;
    }
    case 'square':
      return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
    case 'cross':
      return (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1);
    case 'triangle':
      // equilateral, circumradius 1, apex up: three half-planes with inradius 0.5
      return v <= 0.5 && 0.866 * u - 0.5 * v <= 0.5 && -0.866 * u - 0.5 * v <= 0.5;
  }
}

/** Background with a margin of `margin` px on each side for the camera jitter: [h+2m, w+2m, 3] floats. */
export function renderBackground(
  params: BackgroundParams,
  width: number,
  height: number,
  margin: number,
  seed: number,
): Float32Array {
  const w = width + 2 * margin;
  const h = height + 2 * margin;
  const out = new Float32Array(w * h * 3);
  const grain = new Prng(seed);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = params.base[c];
      for (const g of params.gratings) {
        const wave = Math.sin(2 * Math.PI * (g.fx * x + g.fy * y) + g.phase);
        for (let c = 0; c < 3; c++) out[o + c] += g.amplitude[c] * wave;
      }
      for (let c = 0; c < 3; c++) out[o + c] += (grain.next() * 2 - 1) * params.grain;
    }
  }
  return out;
}

const SUPERSAMPLE = [0.25, 0.75];

/** Draws one object into `frame` [height, width, 3] with anti-aliasing, wrapping at the edges. */
function drawObject(
  frame: Float32Array,
  width: number,
  height: number,
  object: ObjectParams,
  t: number,
  speedFactor: number,
  shiftX: number,
  shiftY: number,
): void {
  const local = object.motion
    ? Math.min(Math.max(t - object.start, 0), object.end - object.start)
    : 0;
  const offset = object.motion
    ? motionOffset(object.motion, local, speedFactor, object.phase)
    : { dx: 0, dy: 0, angle: 0, scale: 1 };
  const radius = (object.size / 2) * offset.scale;
  const radians = ((object.angle + offset.angle) * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  // Wrap the centre into the frame, then draw the copies that overlap it (a torus world).
  const cx0 = (((object.x + offset.dx + shiftX) % width) + width) % width;
  const cy0 = (((object.y + offset.dy + shiftY) % height) + height) % height;
  const reach = radius * 1.5 + 1;
  for (const cx of [cx0 - width, cx0, cx0 + width]) {
    if (cx + reach < 0 || cx - reach > width) continue;
    for (const cy of [cy0 - height, cy0, cy0 + height]) {
      if (cy + reach < 0 || cy - reach > height) continue;
      const x0 = Math.max(0, Math.floor(cx - reach));
      const x1 = Math.min(width - 1, Math.ceil(cx + reach));
      const y0 = Math.max(0, Math.floor(cy - reach));
      const y1 = Math.min(height - 1, Math.ceil(cy + reach));
      for (let py = y0; py <= y1; py++) {
        for (let px = x0; px <= x1; px++) {
          let cover = 0;
          let accent = 0;
          for (const sy of SUPERSAMPLE) {
            for (const sx of SUPERSAMPLE) {
              const dx = px + sx - cx;
              const dy = py + sy - cy;
              // rotate the sample back into the object's frame (clockwise angle, y down)
              const u = (cos * dx + sin * dy) / radius;
              const v = (-sin * dx + cos * dy) / radius;
              if (insideShape(object.shape, u, v)) {
                cover++;
                if (u > 0) accent++;
              }
            }
          }
          if (cover === 0) continue;
          const o = (py * width + px) * 3;
          const alpha = cover / 4;
          for (let c = 0; c < 3; c++) {
            const paint = (object.color[c] * (cover - accent) + object.accent[c] * accent) / cover;
            frame[o + c] = frame[o + c] * (1 - alpha) + paint * alpha;
          }
        }
      }
    }
  }
}

/**
 * Renders the frames of a scene one by one: [height, width, 3] rgb24 each. The camera shakes by
 * up to `jitter` px per frame (background and objects together), then sensor noise is added.
 */
export function* renderScene(scene: SceneParams, settings: RenderSettings): Generator<Uint8Array> {
  const { width, height, frames, jitter, noise } = settings;
  const margin = jitter;
  const background = renderBackground(
    scene.background,
    width,
    height,
    margin,
    scene.renderSeed ^ 0x5bd1e995,
  );
  const bgWidth = width + 2 * margin;
  const random = new Prng(scene.renderSeed);
  const frame = new Float32Array(width * height * 3);
  for (let t = 0; t < frames; t++) {
    const jx = jitter ? random.int(-jitter, jitter) : 0;
    const jy = jitter ? random.int(-jitter, jitter) : 0;
    for (let y = 0; y < height; y++) {
      const from = ((y + margin + jy) * bgWidth + margin + jx) * 3;
      frame.set(background.subarray(from, from + width * 3), y * width * 3);
    }
    for (const object of scene.objects)
      drawObject(frame, width, height, object, t, scene.speedFactor, -jx, -jy);
    const out = new Uint8Array(frame.length);
    // sensor noise from an inlined xorshift32 seeded per frame: the per-pixel hot loop
    let state = random.int(1, 0x7fffffff);
    const scale = (2 * noise) / 4294967296;
    for (let i = 0; i < frame.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const value = frame[i] + ((state >>> 0) * scale - noise);
      out[i] = value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
    }
    yield out;
  }
}
