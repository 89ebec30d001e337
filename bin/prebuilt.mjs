/**
 * The prebuilt light CLI (pipelines/cliLight.ts bundled to one plain JavaScript file by
 * pipelines/scripts/build-light-cli.mjs): where it lives, and whether the launcher may run it.
 * It runs only when it exists and is not older than any file it was built from (their list is
 * written beside it), so an edited source never runs stale code: the launcher goes through tsx
 * until `npm run build` (or `npm ci`) rebuilds it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
/** git-ignored: built by `npm ci` / `npm run build`, never committed. */
export const PREBUILT_DIR = join(ROOT, 'dist');
export const LIGHT_BUNDLE = 'cli-light.mjs';
/** `{ "inputs": [paths relative to ROOT] }`: every file the bundle was built from. */
export const LIGHT_INPUTS = 'cli-light.inputs.json';
/** `ASSEMBLENET_PREBUILT=0` runs every command through tsx (the tests compare both paths). */
export const PREBUILT_ENV = 'ASSEMBLENET_PREBUILT';

/** True when `dir` holds the bundle and none of its inputs is newer than it (or missing). */
export function isFresh(dir = PREBUILT_DIR) {
  try {
    const built = statSync(join(dir, LIGHT_BUNDLE)).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(join(dir, LIGHT_INPUTS), 'utf8'));
    if (!Array.isArray(inputs) || inputs.length === 0) return false;
    return inputs.every((file) => statSync(resolve(ROOT, file)).mtimeMs <= built);
  } catch {
    return false; // no build, an unreadable list or a deleted input: not fresh
  }
}

/**
 * The prebuilt light entry when it is fresh and can run `argv` (top-level help or version, or a
 * light command); otherwise undefined, and the launcher uses tsx.
 */
export async function lightEntry(argv, dir = PREBUILT_DIR) {
  if (process.env[PREBUILT_ENV] === '0' || !isFresh(dir)) return undefined;
  let entry;
  try {
    entry = await import(pathToFileURL(join(dir, LIGHT_BUNDLE)).href);
  } catch {
    return undefined; // a bundle that does not load (truncated, wrong Node): tsx still works
  }
  return entry.handles(argv) ? entry : undefined;
}
