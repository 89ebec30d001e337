/**
 * The `distill` stage of pipeline files: validation of its teacher and latency target, and a tiny
 * pipeline (generate -> train a tiny RGB teacher -> distill with a 1-student search -> summary)
 * whose summary table and summary.json carry the distilled rows; a second run reads them back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genomeToJSON, selectBackend } from '../../src/index.ts';
import { runPipeline, type PipelineResult } from '../../pipelines/run/runPipeline.ts';
import { parsePipeline, readPipeline } from '../../pipelines/run/spec.ts';
import { formatPipelineSummary } from '../../pipelines/run/summaryTable.ts';
import {
  TINY_RGB_GENOME,
  TINY_SETTINGS,
  TINY_STUDENT_SPACE,
  tinyMotionSpec,
} from './fixtures/tinyRun.ts';

const ROOT = join(import.meta.dirname, '../..');
const base = { name: 'p', out: 'o', dataset: { spec: 'synthetic-motion' } };
const train = { stage: 'train', name: 'teacher', genome: 'g.json' };

describe('distill stage: validation', () => {
  it('accepts an earlier train stage or a checkpoint path as the teacher, with defaults filled', () => {
    const spec = parsePipeline(
      {
        ...base,
        stages: [
          train,
          { stage: 'distill', teacher: 'teacher', rgbOnly: true, settings: { epochs: 2 } },
        ],
      },
      'p.json',
    );
    expect(spec.stages[1]).toMatchObject({
      stage: 'distill',
      name: 'student',
      teacher: 'teacher',
      latencyTarget: '30ms',
      budget: 8,
      rgbOnly: true,
      searchEpochs: 1,
      settings: { epochs: 2 },
    });
    expect(() =>
      parsePipeline(
        { ...base, stages: [{ stage: 'distill', teacher: 'runs/demo/train-assemblenet-50' }] },
        'p.json',
      ),
    ).not.toThrow();
  });

  it('an unknown teacher name is refused, naming the stage and the valid names', () => {
    const stages = [
      train,
      { stage: 'train', name: 'other', genome: 'g.json' },
      { stage: 'distill', teacher: 'teachr' },
    ];
    expect(() => parsePipeline({ ...base, stages }, 'p.json')).toThrow(
      /stages\[2\]\.teacher: expected the name of an earlier train stage \(teacher, other\) or a checkpoint folder path, got "teachr" \(p\.json\)/,
    );
    // a train stage after the distill stage does not count
    expect(() =>
      parsePipeline(
        { ...base, stages: [{ stage: 'distill', teacher: 'teacher' }, train] },
        'p.json',
      ),
    ).toThrow(/\(none\)/);
  });

  it('bad latency targets, unknown keys and teacher-shape settings are refused with their path', () => {
    const distill = (extra: object) =>
      parsePipeline(
        { ...base, stages: [train, { stage: 'distill', teacher: 'teacher', ...extra }] },
        'p.json',
      );
    expect(() => distill({ latencyTarget: 'fast' })).toThrow(
      /stages\[1\]\.latencyTarget: latency: expected a duration like "30ms"/,
    );
    expect(() => distill({ budget: 0 })).toThrow(/stages\[1\]\.budget/);
    expect(() => distill({ rgbonly: true })).toThrow(/rgbonly/);
    expect(() => distill({ settings: { size: 32 } })).toThrow(
      /stages\[1\]\.settings.*size|size.*stages\[1\]\.settings/,
    );
    expect(() =>
      parsePipeline(
        {
          ...base,
          stages: [
            train,
            { stage: 'distill', teacher: 'teacher' },
            { stage: 'distill', teacher: 'teacher' },
          ],
        },
        'p.json',
      ),
    ).toThrow(/stages\[2\]\.name: "student" is used by an earlier distill stage/);
  });

  it('the shipped pipelines/distill.json is valid: the scaled AssembleNet-50 teacher, distilled RGB-only', () => {
    const spec = readPipeline(join(ROOT, 'pipelines/distill.json'));
    const distill = spec.stages.find((stage) => stage.stage === 'distill');
    const teacher = spec.stages.find((stage) => stage.stage === 'train');
    expect(teacher).toMatchObject({ genome: 'evolution/assemblenet-50.json' });
    expect(distill).toMatchObject({ teacher: (teacher as { name: string }).name, rgbOnly: true });
    expect(existsSync(join(ROOT, (teacher as { genome: string }).genome))).toBe(true);
  });
});

describe('distill stage: a tiny pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anet-distill-stage-'));
  let result: PipelineResult;
  const lines: string[] = [];
  let spec: ReturnType<typeof parsePipeline>;

  beforeAll(async () => {
    await selectBackend('wasm');
    const motion = tinyMotionSpec('stage-motion', 5);
    const space = TINY_STUDENT_SPACE;
    writeFileSync(join(dir, 'motion.json'), JSON.stringify(motion));
    writeFileSync(join(dir, 'genome.json'), JSON.stringify(genomeToJSON(TINY_RGB_GENOME)));
    writeFileSync(join(dir, 'space.json'), JSON.stringify(space));
    spec = parsePipeline(
      {
        name: 'tiny-distill',
        out: join(dir, 'run'),
        dataset: { spec: join(dir, 'motion.json') },
        settings: { ...TINY_SETTINGS, seed: 2 },
        stages: [
          { stage: 'generate' },
          { stage: 'train', name: 'teacher', genome: join(dir, 'genome.json') },
          {
            stage: 'distill',
            name: 'rgb',
            teacher: 'teacher',
            latencyTarget: '40ms',
            budget: 1,
            rgbOnly: true,
            space: join(dir, 'space.json'),
            settings: { epochs: 1 },
          },
          { stage: 'summary' },
        ],
      },
      'tiny.json',
    );
    result = await runPipeline(spec, {
      cacheDir: join(dir, 'cache'),
      workers: 2,
      log: (line) => lines.push(line),
    });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the distill job on the train stage checkpoint and keeps its rows', () => {
    expect(result.distill).toHaveLength(1);
    const distilled = result.distill[0]!;
    expect(distilled).toMatchObject({
      name: 'rgb',
      teacher: 'teacher',
      targetMs: 40,
      out: join(dir, 'run', 'distill-rgb'),
    });
    const teacherRow = distilled.table.find((row) => row.role === 'teacher')!;
    const chosen = distilled.table.find((row) => row.role === 'chosen')!;
    expect(teacherRow.name).toBe('tiny-rgb');
    expect(chosen.streams).toEqual(['rgb']);
    expect(chosen.flowMs).toBe(0);
    expect(distilled.meetsTarget).toBe(chosen.latencyMs <= 40);
    for (const row of [teacherRow, chosen]) {
      expect(row.parameters).toBeGreaterThan(0);
      expect(row.flops).toBeGreaterThan(0);
      expect(row.latencyMs).toBeGreaterThan(0);
    }
    expect(existsSync(join(distilled.checkpoint, 'checkpoint.json'))).toBe(true);
    // the teacher of the stage is the train stage's checkpoint
    const teacherLogits = readFileSync(
      join(distilled.out, 'teacher-logits', 'teacher-logits.jsonl'),
      'utf8',
    ).split('\n')[0]!;
    expect(teacherLogits).toContain(JSON.stringify(result.models[0]!.checkpoint).slice(1, -1));
  });

  it('the summary table and summary.json carry accuracy, latency with and without flow, params, FLOPs, target', () => {
    const text = formatPipelineSummary(result);
    expect(text).toMatch(
      /^distill rgb\s+network\s+streams\s+acc\s+latency ms\s+no-flow ms\s+params\s+MFLOPs\s+<= 40 ms$/m,
    );
    expect(text).toMatch(
      /^teacher\s+tiny-rgb\s+rgb\s+\d+\.\d% top1\s+\d+\.\d\s+\d+\.\d\s+\d\.\d{3}M\s+\d+\.\d\s+(yes|no)$/m,
    );
    expect(text).toMatch(/^chosen\s+tiny-space-[0-9a-f]{8}\s+rgb\s+/m);
    const stored = JSON.parse(
      readFileSync(join(dir, 'run', 'summary.json'), 'utf8'),
    ) as PipelineResult;
    expect(stored.distill[0]!.table.map((row) => row.role)).toEqual(
      result.distill[0]!.table.map((row) => row.role),
    );
    expect(Object.keys(stored.distill[0]!.table[1]!)).toEqual(
      expect.arrayContaining([
        'accuracy',
        'latencyMs',
        'modelLatencyMs',
        'flowMs',
        'parameters',
        'flops',
      ]),
    );
  });

  it('a second run reads the finished stage back instead of searching again', async () => {
    const again: string[] = [];
    const second = await runPipeline(spec, {
      cacheDir: join(dir, 'cache'),
      workers: 2,
      log: (line) => again.push(line),
    });
    expect(
      again.some((line) => /distill rgb: done earlier with the same parameters/.test(line)),
    ).toBe(true);
    expect(second.distill[0]!.table).toEqual(result.distill[0]!.table);
  }, 120_000);
});
