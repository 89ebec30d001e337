/**
 * Consecutive train stages of a pipeline train side by side, one child process each: the models
 * come out in stage order, and each is exactly what the same stage trains in-process (same seed:
 * same steps, same test scores), so running in parallel changes the wall time only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genomeToJSON, selectBackend } from '../../src/index.ts';
import { runPipeline, type PipelineResult } from '../../pipelines/run/runPipeline.ts';
import { parsePipeline } from '../../pipelines/run/spec.ts';
import {
  TINY_CLASSES,
  TINY_RGB_GENOME,
  TINY_SETTINGS,
  tinyMotionSpec,
} from './fixtures/tinyRun.ts';

describe('pipeline: train stages side by side', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anet-train-stages-'));
  const lines: string[] = [];
  let parallel: PipelineResult;
  let sequential: PipelineResult;

  const spec = (out: string) =>
    parsePipeline(
      {
        name: 'tiny-train-stages',
        out,
        dataset: { spec: join(dir, 'motion.json') },
        settings: { ...TINY_SETTINGS, seed: 3 },
        stages: [
          { stage: 'generate' },
          { stage: 'extract' },
          { stage: 'train', name: 'a', genome: join(dir, 'genome.json') },
          {
            stage: 'train',
            name: 'b',
            genome: join(dir, 'genome.json'),
            settings: { seed: 4, lr: 0.1 },
          },
          { stage: 'summary' },
        ],
      },
      'tiny.json',
    );

  beforeAll(async () => {
    await selectBackend('wasm');
    writeFileSync(
      join(dir, 'motion.json'),
      JSON.stringify(
        tinyMotionSpec('stages-motion', 6, TINY_CLASSES, {
          videosPerClass: 3,
          splits: { train: 0.67, val: 0, test: 0.33 },
        }),
      ),
    );
    writeFileSync(join(dir, 'genome.json'), JSON.stringify(genomeToJSON(TINY_RGB_GENOME)));
    const cacheDir = join(dir, 'cache');
    parallel = await runPipeline(spec(join(dir, 'parallel')), {
      cacheDir,
      workers: 2,
      log: (line) => lines.push(line),
    });
    sequential = await runPipeline(spec(join(dir, 'sequential')), {
      cacheDir,
      workers: 1,
      log: () => undefined,
    });
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains both stages in child processes and records them in stage order', () => {
    expect(lines.some((line) => /train a, b: 2 at a time, one process each/.test(line))).toBe(true);
    expect(lines.some((line) => /^ {2}\[b\] /.test(line))).toBe(true);
    expect(parallel.models.map((m) => m.name)).toEqual(['a', 'b']);
    const summary = JSON.parse(readFileSync(join(dir, 'parallel', 'summary.json'), 'utf8')) as {
      models: { name: string; checkpoint: string }[];
    };
    expect(summary.models.map((m) => m.name)).toEqual(['a', 'b']);
  });

  it('each model equals the in-process run of the same stage', () => {
    expect(sequential.models.map((m) => m.name)).toEqual(['a', 'b']);
    for (const [index, model] of parallel.models.entries()) {
      const same = sequential.models[index]!;
      expect(model.steps).toBe(same.steps);
      expect(model.parameters).toBe(same.parameters);
      expect(model.test?.top1).toBe(same.test?.top1);
      expect(model.test?.top5).toBe(same.test?.top5);
    }
    // the two stages differ (seed, lr): a mix-up of their results would show
    const metrics = (name: string, run: string) =>
      readFileSync(join(dir, run, `train-${name}`, 'metrics.jsonl'), 'utf8').split('\n')[0];
    expect(metrics('a', 'parallel')).not.toBe(metrics('b', 'parallel'));
    const loss = (name: string, run: string) =>
      (JSON.parse(metrics(name, run)!) as { loss: number }).loss;
    expect(loss('b', 'parallel')).toBeCloseTo(loss('b', 'sequential'), 6);
  });
});
