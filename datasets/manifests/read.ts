import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { readCharadesSplits } from './charades.ts';
import { readFolderDataset } from './folder.ts';
import { readKineticsCsv } from './kinetics.ts';
import { readVideoList } from './list.ts';
import type { Manifest, ManifestKind, ManifestOptions } from './types.ts';

export interface ManifestReadResult {
  manifest: Manifest;
  /** The reader that was used, and why it was picked. */
  reader: ManifestKind;
  reason: string;
}

/** Decides which reader fits `path`: a folder, a CSV by its header, or a plain list. */
export function detectManifestKind(path: string): { kind: ManifestKind; reason: string } {
  if (!existsSync(path))
    throw new InputError(`manifest: expected an existing file or folder, got ${path}`);
  if (statSync(path).isDirectory())
    return { kind: 'folder', reason: 'a folder: one sub-folder per class' };
  const firstLine =
    readFileSync(path, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/, 1)[0] ?? '';
  const header = firstLine.split(',').map((name) => name.trim().replace(/^"|"$/g, ''));
  if (header.includes('youtube_id'))
    return { kind: 'kinetics', reason: 'CSV header has youtube_id' };
  if (header[0] === 'id' && header.includes('actions'))
    return { kind: 'charades', reason: 'CSV header has id,...,actions' };
  if (extname(path).toLowerCase() === '.csv') {
    throw new InputError(
      `manifest: expected a Kinetics (label,youtube_id,time_start,time_end,split) or Charades (id,...,actions,length) CSV header, got "${firstLine.slice(0, 80)}"`,
      `${path}:1`,
    );
  }
  return { kind: 'list', reason: 'not a folder or a known CSV: a "path [label]" list' };
}

const READERS: Record<ManifestKind, (path: string, options: ManifestOptions) => Manifest> = {
  kinetics: readKineticsCsv,
  charades: readCharadesSplits,
  folder: readFolderDataset,
  list: readVideoList,
};

/** Reads any supported manifest, picking the reader by file kind and header (or `kind`). */
export function readManifest(
  path: string,
  options: ManifestOptions & { kind?: ManifestKind } = {},
): ManifestReadResult {
  const { kind, reason } = options.kind
    ? { kind: options.kind, reason: 'asked for' }
    : detectManifestKind(path);
  return { manifest: READERS[kind](path, options), reader: kind, reason };
}
