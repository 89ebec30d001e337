import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../fixtures/runProcess.ts';

const backend = resolve(import.meta.dirname, '../../src/engine/backend.ts');

describe('the wasm backend in a fresh process', () => {
  it('leaves no Emscripten crash handlers: a rejection prints its error, not the wasm source', async () => {
    const script = `
      const { selectBackend } = await import(${JSON.stringify(backend)});
      const count = () => process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
      const before = count();
      await selectBackend('wasm');
      console.log('handlers', before, count());
      Promise.reject(new Error('marker-of-the-real-error'));
    `;
    const run = await runProcess(process.execPath, ['--import', 'tsx', '--input-type=module'], {
      input: script,
    });
    const [, before, after] = /handlers (\d+) (\d+)/.exec(run.stdout) ?? [];
    expect(before, run.stderr.slice(0, 500)).toBeDefined();
    expect(after).toBe(before);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('marker-of-the-real-error');
    expect(run.stderr).not.toContain('WasmBackendModule');
    expect(run.stderr.length).toBeLessThan(3000);
  });
});
