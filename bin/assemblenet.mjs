#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx's loader, so no build step is needed.
// Errors outside main()'s promise (a throw in an event handler, an unhandled rejection) get the
// same one-line report and exit code as those inside it (pipelines/crash.ts).
import { register } from 'tsx/esm/api';

register();
let reportCrash;
try {
  ({ reportCrash } = await import('../pipelines/crash.ts'));
} catch (error) {
  process.stderr.write(
    `assemblenet: cannot load the CLI: ${String(error?.message ?? error).split('\n')[0]}\n`,
  );
  process.exit(70);
}
const onCrash = (error) => {
  process.exitCode = reportCrash(error, process.argv);
  process.exit();
};
process.on('uncaughtException', onCrash);
process.on('unhandledRejection', onCrash);
const { main } = await import('../pipelines/cli.ts');
await main(process.argv);
