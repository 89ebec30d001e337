import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.webm', '.avi', '.mov'];

/** First of `relativePaths` x extensions that names an existing file under root, else undefined. */
export function findVideo(
  root: string,
  stems: string[],
  extensions = VIDEO_EXTENSIONS,
): string | undefined {
  for (const stem of stems) {
    for (const ext of extensions) {
      const path = join(root, stem + ext);
      if (existsSync(path) && statSync(path).isFile()) return stem + ext;
    }
  }
  return undefined;
}

/** Folder names a split is commonly stored under. */
export function splitFolders(split: string): string[] {
  if (split === 'val') return ['val', 'validate', 'validation', 'valid'];
  return split ? [split] : [];
}

/** 'validate' / 'validation' / 'valid' -> 'val'; other names lower-cased as they are. */
export function normaliseSplit(split: string): string {
  const lower = split.trim().toLowerCase();
  if (lower === 'validate' || lower === 'validation' || lower === 'valid') return 'val';
  return lower;
}
