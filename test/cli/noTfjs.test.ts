/**
 * The light CLI (top-level help and version, `score`) must start without tfjs: its module graph,
 * imported through tsx like every source, resolves nothing under @tensorflow. The same probe on
 * src/index.ts finds tfjs, so the probe can fail.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../pipelines/cli.ts';
import { LIGHT_COMMANDS } from '../../pipelines/cliLight.ts';
import { loadedTfjs, loadedTs, ROOT, runNode } from './run.ts';

function importThroughTsx(file: string) {
  const url = `file://${join(ROOT, file)}`;
  return runNode(['--input-type=module', '-e', `await import(${JSON.stringify(url)});`], {
    nodeFlags: ['--import', 'tsx'],
  });
}

describe('the light CLI loads no tfjs', () => {
  it('pipelines/cliLight.ts (cli table, crash report, score) resolves nothing under @tensorflow', async () => {
    const run = await importThroughTsx('pipelines/cliLight.ts');
    expect(run.status, run.stderr).toBe(0);
    // the probe saw the graph: the score command and the metrics it uses
    expect(loadedTs(run)).toContain(`import file://${ROOT}/pipelines/commands/score.ts`);
    expect(loadedTs(run)).toContain(`import file://${ROOT}/src/metrics/index.ts`);
    expect(loadedTfjs(run)).toEqual([]);
  });

  it('the same probe finds tfjs behind src/engine/tf.ts (the probe can fail)', async () => {
    const run = await importThroughTsx('src/engine/tf.ts');
    expect(run.status, run.stderr).toBe(0);
    expect(loadedTfjs(run).length).toBeGreaterThan(0);
  });
});

describe('the light entry', () => {
  it('holds only rows of the command table (names and summaries come from there)', () => {
    expect(Object.keys(LIGHT_COMMANDS)).toContain('score');
    for (const name of Object.keys(LIGHT_COMMANDS)) expect(COMMAND_NAMES).toContain(name);
  });
});
