/**
 * Middlebury .flo files: the float 202021.25 (bytes "PIEH"), int32 width, int32 height, then
 * width*height (u, v) float32 pairs row by row, all little endian.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';

export const FLO_TAG = 202021.25;
const HEADER_BYTES = 12;
/** Sanity limit on each side (the Middlebury reference code uses 99999). */
const MAX_SIDE = 99999;

export interface FloField {
  width: number;
  height: number;
  /** [height, width, 2] interleaved (u, v) in pixels. */
  flow: Float32Array;
}

/** Encodes a flow [height, width, 2] as .flo bytes. */
export function encodeFlo(flow: Float32Array, width: number, height: number): Uint8Array {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > MAX_SIDE ||
    height > MAX_SIDE
  ) {
    throw new InputError(
      `flo: expected width and height in 1..${MAX_SIDE}, got ${width}x${height}`,
    );
  }
  if (flow.length !== width * height * 2) {
    throw new InputError(
      `flo: expected ${width}x${height}x2 = ${width * height * 2} values, got ${flow.length}`,
    );
  }
  const bytes = new Uint8Array(HEADER_BYTES + flow.length * 4);
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, FLO_TAG, true);
  view.setInt32(4, width, true);
  view.setInt32(8, height, true);
  for (let i = 0; i < flow.length; i++) view.setFloat32(HEADER_BYTES + i * 4, flow[i], true);
  return bytes;
}

/** Decodes .flo bytes; `source` names the file in errors. */
export function decodeFlo(bytes: Uint8Array, source = '.flo data'): FloField {
  if (bytes.length < HEADER_BYTES) {
    throw new InputError(
      `flo: expected at least a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`,
      source,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = view.getFloat32(0, true);
  if (tag !== FLO_TAG) {
    const text = String.fromCharCode(...bytes.subarray(0, 4)).replace(/[^\x20-\x7e]/g, '?');
    throw new InputError(`flo: expected the tag "PIEH" (${FLO_TAG}), got "${text}"`, source);
  }
  const width = view.getInt32(4, true);
  const height = view.getInt32(8, true);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new InputError(
      `flo: expected width and height in 1..${MAX_SIDE}, got ${width}x${height}`,
      source,
    );
  }
  const expected = HEADER_BYTES + width * height * 8;
  if (bytes.length !== expected) {
    throw new InputError(
      `flo: expected ${expected} bytes for ${width}x${height}, got ${bytes.length}`,
      source,
    );
  }
  const flow = new Float32Array(width * height * 2);
  for (let i = 0; i < flow.length; i++) flow[i] = view.getFloat32(HEADER_BYTES + i * 4, true);
  return { width, height, flow };
}

export async function writeFlo(
  path: string,
  flow: Float32Array,
  width: number,
  height: number,
): Promise<void> {
  await writeFile(path, encodeFlo(flow, width, height));
}

export async function readFlo(path: string): Promise<FloField> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InputError(`flo: expected a readable file, got ${code}`, path);
  }
  return decodeFlo(bytes, path);
}
