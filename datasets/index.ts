/**
 * datasets/: manifest readers, the synthetic generator and its specs. Pipelines import from here.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export * from './manifests/types.ts';
export { readManifest, detectManifestKind, type ManifestReadResult } from './manifests/read.ts';
export { readKineticsCsv, kineticsClipId } from './manifests/kinetics.ts';
export { readCharadesCsv, parseCharadesActions } from './manifests/charades.ts';
export { readFolderDataset } from './manifests/folder.ts';
export { readVideoList } from './manifests/list.ts';
export { displayBytes, pathFromBytes, readDirectory } from './manifests/bytePaths.ts';
export * from './synthetic/index.ts';

/** Folder holding the dataset specs shipped with the project (synthetic-motion.json, ...). */
export const DATASET_SPECS_DIR = dirname(fileURLToPath(import.meta.url));

/** A spec argument: a path, or the name of a shipped spec ("synthetic-motion"). */
export function builtinSpecPath(name: string): string {
  return join(DATASET_SPECS_DIR, name.endsWith('.json') ? name : `${name}.json`);
}
