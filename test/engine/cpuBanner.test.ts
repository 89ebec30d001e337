import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../fixtures/runProcess.ts';

const backend = resolve(import.meta.dirname, '../../src/engine/backend.ts');
const tfModule = resolve(import.meta.dirname, '../../src/engine/tf.ts');

describe('the cpu backend in a fresh process', () => {
  it('prints no tfjs "running TensorFlow.js in Node.js" banner, and tfjs still works', async () => {
    const script = `
      const { selectBackend } = await import(${JSON.stringify(backend)});
      const { tf } = await import(${JSON.stringify(tfModule)});
      await selectBackend('cpu');
      console.log('sum', tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]);
    `;
    const run = await runProcess(process.execPath, ['--import', 'tsx', '--input-type=module'], {
      input: script,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('sum 6');
    expect(run.stdout + run.stderr).not.toMatch(/running TensorFlow\.js in Node\.js/);
  });
});
