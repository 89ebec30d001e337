import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { selfCheck } from '../../src/engine/selfCheck.ts';

describe('selfCheck', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`passes on ${backend}`, async () => {
      await selectBackend(backend);
      const result = await selfCheck();
      expect(result.detail).toContain(backend);
      expect(result.ok, result.detail).toBe(true);
      expect(result.maxRelError).toBeLessThan(1e-4);
    });
  }

  it('fails when the tolerance is below float32 rounding', async () => {
    await selectBackend('wasm');
    const result = await selfCheck(0);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/differs from naive loops/);
  });
});
