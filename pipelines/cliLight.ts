/**
 * The light CLI: top-level help and version, and the commands that load no tfjs (`score`), from
 * the same command table as the full CLI (pipelines/cli.ts). `npm ci` prebuilds it to plain
 * JavaScript (dist/, pipelines/scripts/build-light-cli.mjs), so the launcher starts these without
 * tsx; every other command, and any invocation while the prebuilt file is missing or older than
 * its sources, runs through tsx (bin/prebuilt.mjs decides).
 */
import { commandOf, main as runCli, type Preloaded } from './cli.ts';
import { registerScore } from './commands/score.ts';

export { reportCrash } from './crash.ts';

/** The commands this entry holds; their modules must not import tfjs (test/cli/noTfjs.test.ts). */
export const LIGHT_COMMANDS: Preloaded = Object.freeze({ score: registerScore });

/** True when this entry can run the invocation: no command named, or a light one. */
export function handles(argv: readonly string[]): boolean {
  const name = commandOf(argv);
  return name === undefined || Object.hasOwn(LIGHT_COMMANDS, name);
}

export function main(argv: string[]): Promise<void> {
  return runCli(argv, LIGHT_COMMANDS);
}
