import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createVideoWriter } from '../../src/index.ts';
import { datasetAnnotations } from './annotations.ts';
import { planDataset, type DatasetPlan, type VideoPlan } from './plan.ts';
import { renderScene } from './render.ts';
import type { SyntheticSpec } from './spec.ts';

/** Bumped whenever rendering changes, so cached videos from an older renderer are redone. */
export const GENERATOR_VERSION = 'assemblenet-synthetic/2';
/** Record of what was generated, beside the videos. */
export const GENERATION_RECORD = 'generation.json';

export interface GenerateOptions {
  out: string;
  /** Overrides the spec's seed. */
  seed?: number;
  /** Videos encoded at once (each ffmpeg uses one thread). Default 2. */
  concurrency?: number;
  onProgress?: (event: { done: number; total: number; file: string; skipped: boolean }) => void;
}

export interface GenerationSummary {
  name: string;
  kind: SyntheticSpec['kind'];
  out: string;
  seed: number;
  videos: number;
  generated: number;
  skipped: number;
  classes: string[];
  splits: Record<string, number>;
  /** Absolute paths of the CSV manifests and of the class file. */
  manifests: string[];
  classesFile: string;
  seconds: number;
}

interface GenerationRecord {
  generator: string;
  name: string;
  kind: string;
  seed: number;
  videos: {
    file: string;
    hash: string;
    id: string;
    split: string;
    labels: number[];
    segments: unknown[];
    scene: unknown;
  }[];
}

/** Hash of everything that decides a video's bytes: renderer version, video settings, scene. */
export function videoHash(plan: DatasetPlan, video: VideoPlan): string {
  const { video: settings, scene } = plan.spec;
  const key = {
    v: GENERATOR_VERSION,
    settings,
    jitter: scene.jitter,
    noise: scene.noise,
    scene: video.scene,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function readRecord(path: string): Map<string, string> {
  const hashes = new Map<string, string>();
  if (!existsSync(path)) return hashes;
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as GenerationRecord;
    for (const video of record.videos ?? []) hashes.set(video.file, video.hash);
  } catch {
    // an unreadable record only costs a regeneration
  }
  return hashes;
}

async function encodeVideo(plan: DatasetPlan, video: VideoPlan, path: string): Promise<void> {
  const { width, height, frames, fps, codec, crf } = plan.spec.video;
  const writer = createVideoWriter({ out: path, width, height, fps, codec, crf });
  try {
    const settings = {
      width,
      height,
      frames,
      jitter: plan.spec.scene.jitter,
      noise: plan.spec.scene.noise,
    };
    for (const frame of renderScene(video.scene, settings)) await writer.write(frame);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * Generates a synthetic dataset: plans every video from the seed, renders and encodes those
 * whose file is missing or was made from different parameters, then writes the CSV(s), the
 * class file and generation.json (the parameters of every video).
 */
export async function generateSyntheticDataset(
  spec: SyntheticSpec,
  options: GenerateOptions,
): Promise<GenerationSummary> {
  const started = Date.now();
  const out = resolve(options.out);
  const plan = planDataset(spec, options.seed);
  const recordPath = join(out, GENERATION_RECORD);
  const previous = readRecord(recordPath);
  const hashes = plan.videos.map((video) => videoHash(plan, video));
  const todo = plan.videos.filter(
    (video, i) => previous.get(video.file) !== hashes[i] || !existsSync(join(out, video.file)),
  );
  const total = plan.videos.length;
  let done = total - todo.length;
  let generated = 0;
  if (done > 0) options.onProgress?.({ done, total, file: '(cached)', skipped: true });

  const pending = new Set(todo.map((video) => video.file));
  const finished = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const video = todo[next++];
      await encodeVideo(plan, video, join(out, video.file));
      finished.add(video.file);
      generated++;
      options.onProgress?.({ done: ++done, total, file: video.file, skipped: false });
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 2);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  } finally {
    const record: GenerationRecord = {
      generator: GENERATOR_VERSION,
      name: spec.name,
      kind: spec.kind,
      seed: plan.seed,
      // only videos that exist with these parameters are recorded as done
      videos: plan.videos
        .map((video, i) => ({ ...video, hash: hashes[i] }))
        .filter(
          (video) =>
            finished.has(video.file) ||
            (!pending.has(video.file) && existsSync(join(out, video.file))),
        )
        .map(({ file, hash, id, split, labels, segments, scene }) => ({
          file,
          hash,
          id,
          split,
          labels,
          segments,
          scene,
        })),
    };
    writeAtomic(recordPath, `${JSON.stringify(record, null, 1)}\n`);
  }

  const annotations = datasetAnnotations(plan);
  for (const file of annotations) writeAtomic(join(out, file.name), file.text);
  const splits: Record<string, number> = {};
  for (const video of plan.videos) splits[video.split] = (splits[video.split] ?? 0) + 1;
  return {
    name: spec.name,
    kind: spec.kind,
    out,
    seed: plan.seed,
    videos: total,
    generated,
    skipped: total - generated,
    classes: plan.classes,
    splits,
    manifests: annotations.filter((f) => f.role === 'manifest').map((f) => join(out, f.name)),
    classesFile: join(out, annotations.find((f) => f.role === 'classes')?.name ?? ''),
    seconds: (Date.now() - started) / 1000,
  };
}
