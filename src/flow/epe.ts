/** Average end-point error between two flow fields. */
import { InputError } from '../errors.ts';

export interface EndPointErrorOptions {
  /** Pixels to score ([height*width], nonzero = scored); all pixels when omitted. */
  mask?: ArrayLike<number | boolean>;
}

/**
 * Mean over scored pixels of |estimated - truth| (Euclidean, pixels); both flows are
 * [height, width, 2] interleaved (u, v). Throws when no pixel is scored.
 */
export function endPointError(
  estimated: Float32Array,
  truth: Float32Array,
  options: EndPointErrorOptions = {},
): number {
  if (estimated.length !== truth.length || estimated.length % 2 !== 0) {
    throw new InputError(
      `endPointError: expected two flows of equal even length, got ${estimated.length} and ${truth.length}`,
    );
  }
  const pixels = estimated.length / 2;
  const { mask } = options;
  if (mask && mask.length !== pixels) {
    throw new InputError(`endPointError: expected a mask of ${pixels} pixels, got ${mask.length}`);
  }
  let sum = 0;
  let count = 0;
  for (let i = 0; i < pixels; i++) {
    if (mask && !mask[i]) continue;
    const du = estimated[2 * i] - truth[2 * i];
    const dv = estimated[2 * i + 1] - truth[2 * i + 1];
    sum += Math.sqrt(du * du + dv * dv);
    count++;
  }
  if (count === 0)
    throw new InputError('endPointError: expected at least one scored pixel, got an empty mask');
  return sum / count;
}

/** A mask [height*width] that scores pixels at least `border` pixels from every edge. */
export function interiorMask(width: number, height: number, border: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = border; y < height - border; y++)
    mask.fill(1, y * width + border, y * width + width - border);
  return mask;
}
