/**
 * One cache entry on disk: a small header + checksums, then the arrays' bytes.
 *
 *   offset  bytes  field
 *   0       8      magic "ANETCLP1"
 *   8       4      header length H (u32 LE)
 *   12      4      CRC-32 of the header bytes
 *   16      8      payload length P (u64 LE)
 *   24      4      CRC-32 of the payload bytes
 *   28      4      reserved, 0
 *   32      H      header: UTF-8 JSON {format, key, meta, arrays:[{name,dtype,shape,offset,byteLength}]},
 *                  space-padded so the payload starts on an 8-byte boundary
 *   32+H    P      payload: the arrays, each starting on an 8-byte boundary
 *
 * A file whose size is not 32+H+P (truncated), whose checksums do not match (corrupt), or whose
 * key differs from the one asked for is reported as invalid; the caller recomputes it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

export const ENTRY_MAGIC = 'ANETCLP1';
export const ENTRY_FORMAT = 1;
const PREFIX_BYTES = 32;

export type ArrayDtype = 'uint8' | 'float32' | 'int32';
export type StoredArray = Uint8Array | Float32Array | Int32Array;

export interface ArraySpec {
  name: string;
  dtype: ArrayDtype;
  /** e.g. [frames, height, width, 3] */
  shape: number[];
  data: StoredArray;
}

export interface EntryHeader<M> {
  format: number;
  key: string;
  meta: M;
  arrays: {
    name: string;
    dtype: ArrayDtype;
    shape: number[];
    offset: number;
    byteLength: number;
  }[];
}

export interface DecodedEntry<M> {
  key: string;
  meta: M;
  /** Views into `buffer` (one allocation, transferable in one move). */
  arrays: Map<string, ArraySpec>;
  buffer: ArrayBuffer;
}

export type EntryCheck<M> = { ok: true; entry: DecodedEntry<M> } | { ok: false; reason: string };

const DTYPE_BYTES: Record<ArrayDtype, number> = { uint8: 1, float32: 4, int32: 4 };

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Serialises an entry into one buffer (write it with `writeFileAtomic`). */
export function encodeEntry<M>(key: string, meta: M, arrays: readonly ArraySpec[]): Uint8Array {
  let offset = 0;
  const layout: EntryHeader<M>['arrays'] = arrays.map((array) => {
    const expected = array.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[array.dtype];
    if (expected !== array.data.byteLength) {
      throw new RangeError(
        `cache entry: expected ${expected} bytes for ${array.name} [${array.shape.join(',')}] ${array.dtype}, got ${array.data.byteLength}`,
      );
    }
    const placed = {
      name: array.name,
      dtype: array.dtype,
      shape: array.shape,
      offset,
      byteLength: expected,
    };
    offset = align8(offset + expected);
    return placed;
  });
  const payloadLength = offset;
  const header: EntryHeader<M> = { format: ENTRY_FORMAT, key, meta, arrays: layout };
  const headerText = JSON.stringify(header);
  const headerRaw = Buffer.from(headerText, 'utf8');
  const headerLength = align8(headerRaw.length);
  const out = new Uint8Array(PREFIX_BYTES + headerLength + payloadLength);
  const headerBytes = out.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  headerBytes.fill(0x20);
  headerBytes.set(headerRaw);
  const payload = out.subarray(PREFIX_BYTES + headerLength);
  arrays.forEach((array, i) => {
    payload.set(
      new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength),
      layout[i]!.offset,
    );
  });
  const view = new DataView(out.buffer);
  out.set(Buffer.from(ENTRY_MAGIC, 'latin1'), 0);
  view.setUint32(8, headerLength, true);
  view.setUint32(12, crc32(headerBytes), true);
  view.setBigUint64(16, BigInt(payloadLength), true);
  view.setUint32(24, crc32(payload), true);
  view.setUint32(28, 0, true);
  return out;
}

/** Parses and verifies an entry held in `bytes` (which must start at offset 0 of its buffer). */
export function decodeEntry<M>(bytes: Uint8Array, expectedKey?: string): EntryCheck<M> {
  if (bytes.byteOffset !== 0) bytes = bytes.slice();
  if (bytes.length < PREFIX_BYTES)
    return {
      ok: false,
      reason: `truncated: ${bytes.length} bytes, shorter than the 32-byte prefix`,
    };
  if (Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== ENTRY_MAGIC)
    return { ok: false, reason: 'not a cache entry (bad magic)' };
  const view = new DataView(bytes.buffer, 0, bytes.length);
  const headerLength = view.getUint32(8, true);
  const payloadLength = Number(view.getBigUint64(16, true));
  const expectedSize = PREFIX_BYTES + headerLength + payloadLength;
  if (bytes.length !== expectedSize) {
    return {
      ok: false,
      reason: `truncated or padded: expected ${expectedSize} bytes, got ${bytes.length}`,
    };
  }
  const headerBytes = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  if (crc32(headerBytes) !== view.getUint32(12, true))
    return { ok: false, reason: 'header checksum mismatch' };
  const payload = bytes.subarray(PREFIX_BYTES + headerLength);
  if (crc32(payload) !== view.getUint32(24, true))
    return { ok: false, reason: 'payload checksum mismatch' };
  let header: EntryHeader<M>;
  try {
    header = JSON.parse(Buffer.from(headerBytes).toString('utf8')) as EntryHeader<M>;
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  if (header.format !== ENTRY_FORMAT)
    return { ok: false, reason: `format ${header.format}, expected ${ENTRY_FORMAT}` };
  if (expectedKey !== undefined && header.key !== expectedKey) {
    return { ok: false, reason: `key mismatch: expected ${expectedKey}, got ${header.key}` };
  }
  const payloadStart = PREFIX_BYTES + headerLength;
  const arrays = new Map<string, ArraySpec>();
  for (const placed of header.arrays) {
    const start = payloadStart + placed.offset;
    if (placed.offset + placed.byteLength > payloadLength)
      return { ok: false, reason: `array ${placed.name} runs past the payload` };
    const count = placed.byteLength / DTYPE_BYTES[placed.dtype];
    const data =
      placed.dtype === 'uint8'
        ? new Uint8Array(bytes.buffer, start, count)
        : placed.dtype === 'float32'
          ? new Float32Array(bytes.buffer, start, count)
          : new Int32Array(bytes.buffer, start, count);
    arrays.set(placed.name, { name: placed.name, dtype: placed.dtype, shape: placed.shape, data });
  }
  return {
    ok: true,
    entry: { key: header.key, meta: header.meta, arrays, buffer: bytes.buffer as ArrayBuffer },
  };
}

/** Reads a whole file into a fresh buffer of its own (not Node's shared pool), or undefined if absent. */
export function readWholeFile(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read).slice();
  } finally {
    closeSync(fd);
  }
}
