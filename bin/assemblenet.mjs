#!/usr/bin/env node
// Launcher. Top-level help/version and the light commands (`score`) run from the prebuilt plain
// JavaScript entry when it is there and not older than its sources (bin/prebuilt.mjs); everything
// else runs the TypeScript CLI through tsx's loader, so no build step is needed.
// Errors outside main()'s promise (a throw in an event handler, an unhandled rejection) get the
// same one-line report and exit code as those inside it (pipelines/crash.ts).
import { lightEntry } from './prebuilt.mjs';

let cli = await lightEntry(process.argv);
if (!cli) {
  const { register } = await import('tsx/esm/api');
  register();
  try {
    const [{ reportCrash }, { main }] = await Promise.all([
      import('../pipelines/crash.ts'),
      import('../pipelines/cli.ts'),
    ]);
    cli = { reportCrash, main };
  } catch (error) {
    process.stderr.write(
      `assemblenet: cannot load the CLI: ${String(error?.message ?? error).split('\n')[0]}\n`,
    );
    process.exit(70);
  }
}
const onCrash = (error) => {
  process.exitCode = cli.reportCrash(error, process.argv);
  process.exit();
};
process.on('uncaughtException', onCrash);
process.on('unhandledRejection', onCrash);
await cli.main(process.argv);
