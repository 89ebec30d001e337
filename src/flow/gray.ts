import { InputError } from '../errors.ts';

/**
 * rgb24 bytes [height, width, 3] -> gray floats [height, width] on the 0..255 scale, with the
 * BT.601 weights OpenCV's RGB2GRAY uses (0.299 R + 0.587 G + 0.114 B).
 */
export function rgbToGray(
  rgb: Uint8Array,
  width: number,
  height: number,
  out?: Float32Array,
): Float32Array {
  const pixels = width * height;
  if (!Number.isInteger(pixels) || pixels < 1 || rgb.length !== pixels * 3) {
    throw new InputError(
      `rgbToGray: expected ${width}x${height}x3 = ${pixels * 3} bytes, got ${rgb.length}`,
    );
  }
  const gray = out ?? new Float32Array(pixels);
  if (gray.length !== pixels)
    throw new InputError(`rgbToGray: expected an output of ${pixels} floats, got ${gray.length}`);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    gray[i] = 0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2];
  }
  return gray;
}

/** Gray floats -> bytes, rounded and clamped to 0..255 (for 8-bit consumers such as OpenCV). */
export function grayToBytes(gray: Float32Array, out?: Uint8Array): Uint8Array {
  const bytes = out ?? new Uint8Array(gray.length);
  for (let i = 0; i < gray.length; i++) {
    const v = Math.round(gray[i]);
    bytes[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return bytes;
}
