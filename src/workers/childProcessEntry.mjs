// Child-process entry of runInChildProcess: installs tsx's loader, imports the task module
// (argv[2]), answers the one request it is sent, then exits. It dies with its parent.
import { register } from 'tsx/esm/api';

register();
process.on('disconnect', () => process.exit(0));
const taskModule = await import(process.argv[2]);
process.once('message', async ({ request }) => {
  try {
    const result = await taskModule.default(request);
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    process.send({ ok: false, error: text }, () => process.exit(0));
  }
});
