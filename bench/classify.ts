/**
 * Batch classification end to end: video files -> decode -> TV-L1 flow -> scaled AssembleNet-50
 * -> JSONL rows, in videos per minute, through the real `classify` job (`runClassifyJob`).
 *
 * `npm run bench -- classify [--json] [--videos N] [--workers N]`
 *
 * Project: the job as shipped: a pool of 2 workers (or --workers) and the default number of
 * videos in flight (2 per worker), so decoding/flow of some videos overlaps the model on others.
 * Baseline: the same job, same videos and network, run one video at a time on 1 worker (decode
 * and flow, then the model, nothing overlapped): what a plain sequential script would do.
 * Both start from an empty clip cache and a warmed-up pool and network. The ratio measures the
 * pipeline's overlap and parallelism on this machine; with other jobs sharing the cores it is a
 * range, not a constant (the output prints the load average and the cores the process sees).
 *
 * Videos: the synthetic motion generator, 64x64, 24 frames at 12 fps (2 s), H.264.
 * Network: evolution/assemblenet-50.json, width 0.25, modules 1,1,1,1, 8 frames of 64 px, rgb +
 * flow (TV-L1, 20 px bound), random weights (speed does not depend on them), 2 clips per video.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateSyntheticDataset, parseSyntheticSpec, readManifest } from '../datasets/index.ts';
import {
  ClipPool,
  backendReport,
  createAssembleNet,
  readGenome,
  selectBackend,
  tf,
} from '../src/index.ts';
import type { CheckpointNetwork } from '../src/networks/checkpointNetwork.ts';
import { runClassifyJob, type ClassifyJobResult } from '../pipelines/jobs/classify.ts';
import { parseRunConfig, templateFor } from '../src/networks/runConfig.ts';

const GENOME_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'evolution',
  'assemblenet-50.json',
);
const CLASSES = ['left', 'right', 'up', 'down'];

const numberArg = (args: string[], name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

function videoSpec(videos: number) {
  const motions = [180, 0, 90, 270].map((direction) => ({
    kind: 'translate' as const,
    direction,
    speed: 1.5,
  }));
  return parseSyntheticSpec({
    kind: 'motion',
    name: 'bench-classify',
    seed: 11,
    video: { width: 64, height: 64, frames: 24, fps: 12 },
    videosPerClass: Math.ceil(videos / CLASSES.length),
    splits: { train: 1, val: 0, test: 0 },
    classes: CLASSES.map((name, i) => ({ name, motion: motions[i]! })),
  });
}

interface Run {
  label: string;
  workers: number;
  concurrency: number;
  ms: number;
  result: ClassifyJobResult;
}

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const count = numberArg(args, '--videos', 8);
  const workers = numberArg(args, '--workers', 2);
  await selectBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'anet-bench-classify-'));
  try {
    const generated = await generateSyntheticDataset(videoSpec(count + 1), {
      out: join(dir, 'videos'),
    });
    const all = readManifest(generated.manifests[0]!).manifest.items.map((item) => item.path);
    const warmup = all[0]!;
    const videos = all.slice(1, count + 1);

    const genome = readGenome(GENOME_FILE);
    const config = parseRunConfig({
      frames: 8,
      size: 64,
      width: 0.25,
      modules: [1, 1, 1, 1],
      testClips: 2,
      batch: 2,
      flow: 'tvl1',
    });
    const network = createAssembleNet(genome, {
      numClasses: CLASSES.length,
      frames: config.frames,
      widthMultiplier: config.width,
      modulesPerLevel: config.modules,
      temporalModules: 'even',
      seed: 1,
    });
    const model: CheckpointNetwork = {
      kind: 'assemblenet',
      network,
      config,
      streams: ['flow', 'rgb'],
      classes: CLASSES,
      multiLabel: false,
      checkpointPath: '(in memory, random weights)',
      checkpointRoot: dir,
      step: 0,
      genome,
      template: (cacheDir) => templateFor(genome, config, cacheDir),
    };

    const run = async (
      label: string,
      poolWorkers: number,
      concurrency: number | undefined,
      index: number,
    ): Promise<Run> => {
      const pool = new ClipPool({ workers: poolWorkers });
      try {
        // warm the pool's threads (tsx, OpenCV/TV-L1 buffers) and the network's kernels, untimed
        await runClassifyJob({
          model,
          videos: [warmup],
          out: join(dir, `warm-${index}.jsonl`),
          pool,
          cacheDir: join(dir, `warm-cache-${index}`),
          progress: false,
        });
        const out = join(dir, `run-${index}.jsonl`);
        const cacheDir = join(dir, `cache-${index}`);
        mkdirSync(cacheDir, { recursive: true });
        const t0 = performance.now();
        const result = await runClassifyJob({
          model,
          videos,
          out,
          pool,
          cacheDir,
          progress: false,
          ...(concurrency ? { concurrency } : {}),
        });
        const ms = performance.now() - t0;
        if (result.failed > 0)
          throw new Error(`bench: ${result.failed} video(s) failed: ${result.failures[0]?.error}`);
        return {
          label,
          workers: poolWorkers,
          concurrency: concurrency ?? Math.max(2, pool.size * 2),
          ms,
          result,
        };
      } finally {
        await pool.destroy();
      }
    };

    const baseline = await run('sequential: 1 worker, 1 video in flight', 1, 1, 0);
    const project = await run(
      `classify job: ${workers} workers, default videos in flight`,
      workers,
      undefined,
      1,
    );
    network.dispose();

    const perMinute = (r: Run) => (60_000 * videos.length) / r.ms;
    const ratio = baseline.ms / project.ms;
    const threads = backendReport()?.threads ?? 1;
    const cpuModel = cpus()[0]?.model ?? 'unknown';
    const shapes = `${videos.length} videos 64x64 24 frames h264; assemblenet-50 width 0.25 modules 1,1,1,1; clips 2 x 8 frames x 64 px, rgb + tvl1 flow`;
    const lines = [
      `classify: end to end (decode + TV-L1 flow + model + JSONL) on wasm (${threads} thread), ${cpuModel}, ${availableParallelism()} cores seen, load ${loadavg()[0]!.toFixed(1)}`,
      `  ${shapes}`,
      ...[baseline, project].map(
        (r) =>
          `  ${r.label.padEnd(44)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${perMinute(r).toFixed(1).padStart(6)} videos/min  (${r.concurrency} in flight)`,
      ),
      `  ratio (baseline time / project time): ${ratio.toFixed(2)}x`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          bench: 'classify',
          ratio: round(ratio, 2),
          project_ms: round(project.ms),
          baseline_ms: round(baseline.ms),
          baseline:
            'the same classify job run sequentially: 1 worker, 1 video in flight (same videos, network, empty cache)',
          shapes,
          project_videos_per_min: round(perMinute(project)),
          baseline_videos_per_min: round(perMinute(baseline)),
          project_workers: project.workers,
          project_in_flight: project.concurrency,
          videos: videos.length,
          threads,
          cpu: cpuModel,
          cores: cpus().length,
          cores_available: availableParallelism(),
          load: round(loadavg()[0]!, 1),
          node: process.version,
          tfjs: tf.version.tfjs,
        })}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
