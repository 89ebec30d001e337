// Worker-thread entry for the piscina pool. Node cannot import TypeScript by itself, so this
// plain-JS shim installs tsx's loader (once per worker thread, at startup), then loads the task
// module named in workerData and hands piscina its wrapped default export.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { hostTask } = await import('./taskHost.ts');
const taskModule = await import(workerData.taskModule);
export default hostTask(taskModule.default);
