import { extname, join, relative, resolve } from 'node:path';
import { InputError } from '../../src/errors.ts';
import { readDirectory } from './bytePaths.ts';
import { readClassNames } from './classes.ts';
import { normaliseSplit, VIDEO_EXTENSIONS } from './locate.ts';
import { confineToRoot, resolveInsideRoot } from './paths.ts';
import type { Manifest, ManifestItem, ManifestOptions } from './types.ts';

const COMPONENT = 'folder dataset';
const SPLIT_NAMES = new Set(['train', 'val', 'validate', 'validation', 'valid', 'test']);

function visibleDirs(dir: string): string[] {
  return readDirectory(dir)
    .filter((entry) => !entry.name.startsWith('.') && entry.isDirectory)
    .map((entry) => entry.name);
}

/**
 * Reads a folder-per-class dataset (UCF101/HMDB style): root/class/*.mp4|avi|mkv|webm|mov, or
 * root/split/class/* when every top-level folder is a split name. Hidden files are skipped;
 * video file names are bytes (names that are not UTF-8 work). Ids: the path relative to the
 * root without the extension.
 */
export function readFolderDataset(dir: string, options: ManifestOptions = {}): Manifest {
  const root = resolve(options.root ?? dir);
  const base = resolve(dir);
  resolveInsideRoot(root, base, COMPONENT, undefined, options.root !== undefined);
  const top = visibleDirs(base);
  if (top.length === 0)
    throw new InputError(`${COMPONENT}: expected class folders under ${base}, got none`);
  const bySplit = top.every((name) => SPLIT_NAMES.has(name.toLowerCase()));
  const notes = [
    bySplit ? `layout split/class/video (splits: ${top.join(', ')})` : 'layout class/video',
  ];
  const groups = bySplit
    ? top.map((splitDir) => ({ split: normaliseSplit(splitDir), dir: join(base, splitDir) }))
    : [{ split: normaliseSplit(options.split ?? 'all'), dir: base }];

  const found: { className: string; path: string; shown: string; split: string }[] = [];
  for (const group of groups) {
    for (const className of visibleDirs(group.dir)) {
      const classDir = join(group.dir, className);
      for (const entry of readDirectory(classDir)) {
        const { name } = entry;
        if (name.startsWith('.') || !VIDEO_EXTENSIONS.includes(extname(name).toLowerCase()))
          continue;
        const shown = join(classDir, name);
        if (options.root) confineToRoot(root, entry.path, COMPONENT, relative(root, shown));
        if (!entry.isFile) continue;
        found.push({ className, path: entry.path, shown, split: group.split });
      }
    }
  }
  let classes: string[];
  if (options.classes) {
    classes = readClassNames(options.classes, COMPONENT);
    const unknown = [...new Set(found.map((f) => f.className))].filter(
      (name) => !classes.includes(name),
    );
    if (unknown.length) {
      throw new InputError(
        `${COMPONENT}: expected class folders named in ${options.classes}, got ${unknown.join(', ')}`,
      );
    }
  } else {
    classes = [...new Set(found.map((f) => f.className))].sort();
  }
  const classIndex = new Map(classes.map((name, index) => [name, index]));
  const items: ManifestItem[] = found.map(({ className, path, shown, split }) => ({
    id: relative(root, shown).replace(/\.[^.]+$/, ''),
    path,
    labels: [classIndex.get(className) as number],
    split,
  }));
  return { kind: 'folder', root, classes, multiLabel: false, items, missing: [], notes };
}
