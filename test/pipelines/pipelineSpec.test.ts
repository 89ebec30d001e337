import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipeline, readPipeline } from '../../pipelines/run/spec.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('pipeline files', () => {
  it('the shipped demo pipeline is valid and names files that exist', () => {
    const spec = readPipeline(join(ROOT, 'pipelines/demo.json'));
    expect(spec.stages.map((s) => s.stage)).toEqual([
      'generate',
      'extract',
      'evolve',
      'train',
      'train',
      'train',
      'classify',
      'summary',
    ]);
    expect(readPipeline(join(ROOT, 'pipelines/modalities.json')).stages).toHaveLength(6);
  });

  it("a stage's settings override only what they name", () => {
    const spec = parsePipeline(
      {
        name: 'p',
        out: 'o',
        dataset: { spec: 'synthetic-motion' },
        settings: { flow: 'farneback', trainClips: 1 },
        stages: [{ stage: 'train', name: 'a', genome: 'g.json', settings: { epochs: 1 } }],
      },
      'p.json',
    );
    expect(spec.stages[0]).toMatchObject({ settings: { epochs: 1 } });
    expect(Object.keys((spec.stages[0] as { settings: object }).settings)).toEqual(['epochs']);
  });

  it('errors carry the path into the file', () => {
    const base = { name: 'p', out: 'o', dataset: { spec: 'synthetic-motion' } };
    expect(() =>
      parsePipeline(
        { ...base, stages: [{ stage: 'train', name: 'a', genome: 'g.json', epochs: 3 }] },
        'p.json',
      ),
    ).toThrow(/stages\[0\].*epochs|Unrecognized key.*epochs.*\(p\.json\)/);
    expect(() =>
      parsePipeline({ ...base, stages: [{ stage: 'classify', model: 'nope' }] }, 'p.json'),
    ).toThrow(
      /stages\[0\]\.model: expected the name of an earlier train stage \(none\), got "nope" \(p\.json\)/,
    );
    expect(() =>
      parsePipeline(
        { ...base, stages: [{ stage: 'train', name: 'a', genome: '@evolve' }] },
        'p.json',
      ),
    ).toThrow(/stages\[0\]\.genome: "@evolve" needs an evolve stage before it/);
    expect(() => parsePipeline({ ...base, stages: [{ stage: 'bake' }] }, 'p.json')).toThrow(
      /stages\[0\]\.stage/,
    );
    expect(() =>
      parsePipeline({ name: 'p', out: 'o', dataset: {}, stages: [{ stage: 'summary' }] }, 'p.json'),
    ).toThrow(/exactly one of "spec" \(synthetic\) or "manifest", got neither/);
  });
});
