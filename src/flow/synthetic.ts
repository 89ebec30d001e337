/**
 * Frame pairs with exactly known flow, for tests and benchmarks: a smooth random texture
 * (a sum of sinusoids evaluated in closed form, so no resampling error) moved by a known
 * motion. Ground truth follows the flow convention prev(p) = next(p + flow(p)).
 */
import { InputError } from '../errors.ts';
import { Rng } from '../util/random.ts';

export type SyntheticMotion =
  | { kind: 'translate'; dx: number; dy: number }
  /** Rotation by `degrees` about the image centre (positive = counter-clockwise on screen). */
  | { kind: 'rotate'; degrees: number }
  /** A smooth sinusoidal displacement field of peak `amplitude` pixels. */
  | { kind: 'warp'; amplitude: number };

export interface SyntheticPairOptions {
  width: number;
  height: number;
  motion: SyntheticMotion;
  /** PRNG seed of the texture. */
  seed?: number;
  /** Number of sinusoid components of the texture. */
  components?: number;
}

export interface SyntheticPair {
  width: number;
  height: number;
  /** Gray 0..255, [height, width]. */
  prev: Float32Array;
  next: Float32Array;
  /** [height, width, 2] interleaved (u, v) in pixels. */
  flow: Float32Array;
}

/** Uniform numbers in [0, 1) from the project's seeded generator (src/util/random.ts). */
export function seededRandom(seed: number): () => number {
  const rng = Rng.fromSeed(seed);
  return () => rng.next();
}

interface Wave {
  fx: number;
  fy: number;
  phase: number;
  amplitude: number;
}

/** A texture function (x, y) -> 0..255 made of random sinusoids of wavelength 6..32 px. */
function makeTexture(seed: number, components: number): (x: number, y: number) => number {
  const random = seededRandom(seed);
  const waves: Wave[] = [];
  let total = 0;
  for (let k = 0; k < components; k++) {
    const wavelength = 6 + random() * 26;
    const angle = random() * Math.PI;
    const frequency = (2 * Math.PI) / wavelength;
    const amplitude = 0.5 + random();
    total += amplitude;
    waves.push({
      fx: frequency * Math.cos(angle),
      fy: frequency * Math.sin(angle),
      phase: random() * 2 * Math.PI,
      amplitude,
    });
  }
  const scale = 127.5 / total;
  return (x, y) => {
    let sum = 0;
    for (const w of waves) sum += w.amplitude * Math.sin(w.fx * x + w.fy * y + w.phase);
    return 127.5 + scale * sum;
  };
}

/** The motion as a point map p -> M(p) (where prev's point p lands in next). */
function motionMap(
  motion: SyntheticMotion,
  width: number,
  height: number,
): (x: number, y: number) => [number, number] {
  switch (motion.kind) {
    case 'translate':
      return (x, y) => [x + motion.dx, y + motion.dy];
    case 'rotate': {
      const cx = (width - 1) / 2;
      const cy = (height - 1) / 2;
      const a = (-motion.degrees * Math.PI) / 180; // y points down: negate for screen CCW
      const c = Math.cos(a);
      const s = Math.sin(a);
      return (x, y) => [cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)];
    }
    case 'warp': {
      const kx = (2 * Math.PI) / Math.max(width, 8);
      const ky = (2 * Math.PI) / Math.max(height, 8);
      const amp = motion.amplitude;
      return (x, y) => [
        x + amp * Math.sin(ky * y + 0.3) * Math.cos(0.5 * kx * x),
        y + amp * Math.cos(kx * x + 1.1) * Math.sin(0.5 * ky * y + 0.7),
      ];
    }
  }
}

/** Inverts a near-identity point map by fixed-point iteration: finds p with M(p) = q. */
function invert(
  map: (x: number, y: number) => [number, number],
  qx: number,
  qy: number,
): [number, number] {
  let px = qx;
  let py = qy;
  for (let k = 0; k < 50; k++) {
    const [mx, my] = map(px, py);
    const ex = qx - mx;
    const ey = qy - my;
    px += ex;
    py += ey;
    if (Math.abs(ex) + Math.abs(ey) < 1e-7) break;
  }
  return [px, py];
}

/** Builds a frame pair and its exact flow. */
export function syntheticFlowPair(options: SyntheticPairOptions): SyntheticPair {
  const { width, height, motion, seed = 1, components = 12 } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) {
    throw new InputError(
      `syntheticFlowPair: expected integer width, height >= 2, got ${width}x${height}`,
    );
  }
  const texture = makeTexture(seed, components);
  const map = motionMap(motion, width, height);
  const pixels = width * height;
  const prev = new Float32Array(pixels);
  const next = new Float32Array(pixels);
  const flow = new Float32Array(pixels * 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      prev[i] = texture(x, y);
      const [sx, sy] = invert(map, x, y);
      next[i] = texture(sx, sy);
      const [mx, my] = map(x, y);
      flow[2 * i] = mx - x;
      flow[2 * i + 1] = my - y;
    }
  }
  return { width, height, prev, next, flow };
}
