/**
 * The native conv kernels survive signals: oneDNN 2.6's JIT GEMM kernels point rsp at the heap,
 * so a signal taken inside one corrupts the heap (oneDNN issue #4845); native/kernels.cc blocks
 * asynchronous signals while its kernels run. The child (fixtures/convUnderSignals.cjs) runs a
 * GEMM-backed filter gradient on its main thread while child processes exit around it; without
 * the guard it aborts ("corrupted size vs. prev_size") or segfaults within a few seconds. Skipped
 * where the addon is not built (CI builds it: dnnlConv.test.ts requires that).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATIVE_ADDON_PATH } from '../../../src/engine/native/addon.ts';

const CHILD = join(import.meta.dirname, 'fixtures', 'convUnderSignals.cjs');

describe.skipIf(!existsSync(NATIVE_ADDON_PATH))('native kernels under signals', () => {
  it('compute the same bits while SIGCHLDs arrive, and do not corrupt the heap', () => {
    const child = spawnSync(process.execPath, [CHILD, NATIVE_ADDON_PATH, '4000'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.signal, child.stderr).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as {
      implementation: string;
      convs: number;
      mismatches: number;
      exited: number;
    };
    // the hazard is there: the primitive runs on the JIT GEMM kernels, and signals did arrive
    expect(result.implementation).toMatch(/gemm/);
    expect(result.exited).toBeGreaterThan(100);
    expect(result.convs).toBeGreaterThan(50);
    expect(result.mismatches).toBe(0);
  });
});
