import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { teacherIdentity } from '../../../pipelines/jobs/distill/teacherOutputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'teacher-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('teacherIdentity (binds teacher caches and search journals to one teacher)', () => {
  it('is the same through a symlinked folder, and differs by checkpoint and step', () => {
    const checkpoint = join(dir, 'runs', 'teacher', 'checkpoints', 'step-00000168');
    mkdirSync(checkpoint, { recursive: true });
    symlinkSync(join(dir, 'runs'), join(dir, 'linked-runs'));
    const viaLink = join(dir, 'linked-runs', 'teacher', 'checkpoints', 'step-00000168');
    expect(teacherIdentity({ checkpointPath: viaLink, step: 168 })).toBe(
      teacherIdentity({ checkpointPath: checkpoint, step: 168 }),
    );
    expect(teacherIdentity({ checkpointPath: checkpoint, step: 168 })).toMatch(/@step-168$/);
    expect(teacherIdentity({ checkpointPath: checkpoint, step: 84 })).not.toBe(
      teacherIdentity({ checkpointPath: checkpoint, step: 168 }),
    );
  });
});
