/**
 * The evaluation job: a checkpoint's network on a manifest's held-out split, with multi-clip
 * testing (class probabilities averaged over evenly spaced clips of each video).
 *
 *   manifest split -> extract test clips (cache; same template as training) -> failures left out
 *     -> predictVideos -> summarizeScores -> <checkpoint root>/eval-<split>.json
 */
import { join } from 'node:path';
import { InputError, type ClipPool, writeJsonAtomic } from '../../src/index.ts';
import type { Manifest } from '../../datasets/index.ts';
import { createCountProgress } from '../countProgress.ts';
import {
  loadNetworkFromCheckpoint,
  type CheckpointNetwork,
} from '../../src/networks/checkpointNetwork.ts';
import { predictVideos } from './predict.ts';
import { summarizeScores, type EvalSummary } from './summarize.ts';
import { prepareClips, toClipItem } from './train.ts';

export interface EvalJobInput {
  /** Checkpoint folder (step folder, checkpoints root, or training --out). */
  checkpoint: string | CheckpointNetwork;
  manifest: Manifest;
  /** Split to score; default test if the manifest has it, else val. */
  split?: string;
  /** Test clips per video; default the checkpoint's testClips. */
  clips?: number;
  cacheDir: string;
  pool: ClipPool;
  /** Metrics file; default `<checkpoint root>/eval-<split>.json`; false: write none. */
  out?: string | false;
  progress?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface EvalJobResult extends EvalSummary {
  split: string;
  clips: number;
  checkpoint: string;
  step: number;
  /** Videos that could not be decoded, left out of the metrics. */
  failed: { id: string; reason: string }[];
  seconds: number;
  /** Where the metrics were written. */
  out?: string;
  /** Mean probabilities per scored video (id -> scores), for callers that compare. */
  scores: Map<string, number[]>;
}

/** test if the manifest has it, else val. */
export function defaultTestSplit(manifest: Manifest): string {
  const splits = new Set(manifest.items.map((item) => item.split));
  if (splits.has('test')) return 'test';
  if (splits.has('val')) return 'val';
  throw new InputError(
    `eval: expected a test or val split in the manifest, got splits ${[...splits].join(', ') || '(none)'}`,
  );
}

function checkClasses(model: CheckpointNetwork, manifest: Manifest): void {
  const same =
    model.classes.length === manifest.classes.length &&
    model.classes.every((name, i) => name === manifest.classes[i]);
  if (!same) {
    const differs = model.classes.findIndex((name, i) => name !== manifest.classes[i]);
    throw new InputError(
      `eval: expected the manifest's classes to be the checkpoint's (${model.classes.length}), got ${manifest.classes.length}` +
        (differs >= 0
          ? `; class ${differs} is "${manifest.classes[differs] ?? '(none)'}" vs "${model.classes[differs]}"`
          : ''),
    );
  }
  if (model.multiLabel !== manifest.multiLabel) {
    throw new InputError(
      `eval: expected a ${model.multiLabel ? 'multi' : 'single'}-label manifest like the checkpoint's training set, got a ${manifest.multiLabel ? 'multi' : 'single'}-label one`,
    );
  }
}

export async function runEvalJob(input: EvalJobInput): Promise<EvalJobResult> {
  const started = Date.now();
  const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const owned = typeof input.checkpoint === 'string';
  const model =
    typeof input.checkpoint === 'string'
      ? await loadNetworkFromCheckpoint(input.checkpoint)
      : input.checkpoint;
  try {
    const { manifest } = input;
    checkClasses(model, manifest);
    const split = input.split ?? defaultTestSplit(manifest);
    const rows = manifest.items.filter((item) => item.split === split);
    if (rows.length === 0)
      throw new InputError(`eval: expected videos in split "${split}" of the manifest, got none`);
    const clips = input.clips ?? model.config.testClips;
    if (!Number.isInteger(clips) || clips < 1)
      throw new InputError(`eval: expected --clips >= 1, got ${clips}`);
    const template = model.template(input.cacheDir);

    // Decode (and cache) every test clip first: a video that fails is left out, not fatal.
    const bar =
      input.progress === false
        ? undefined
        : createCountProgress({
            label: `eval ${split}`,
            unit: 'clips',
            total: rows.length * clips,
          });
    let failures: Map<string, string>;
    try {
      failures = await prepareClips(
        rows,
        template,
        { ...model.config, testClips: clips, trainClips: 0 },
        input.pool,
        input.signal,
        bar ? (id) => bar.tick(1, id) : undefined,
      );
    } finally {
      bar?.stop();
    }
    for (const [id, reason] of failures) log(`eval: left out video ${id}: ${reason}`);
    const items = rows.filter((item) => !failures.has(item.id)).map(toClipItem);
    if (items.length === 0)
      throw new InputError(
        `eval: expected at least one decodable video in split "${split}", got none of ${rows.length}`,
      );

    const labels = { numClasses: model.classes.length, multiLabel: model.multiLabel };
    const predictions = await predictVideos({
      network: model.network,
      pool: input.pool,
      template,
      items,
      labels,
      clips,
      batchSize: model.config.batch,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const summary = summarizeScores(
      labels.numClasses,
      labels.multiLabel,
      predictions.map((p) => ({ id: p.item.id, scores: p.scores, labels: p.item.labels })),
    );
    const failed = [...failures].map(([id, reason]) => ({ id, reason }));
    const record = {
      ...summary,
      split,
      clips,
      checkpoint: model.checkpointPath,
      step: model.step,
      failed,
      seconds: (Date.now() - started) / 1000,
    };
    const out =
      input.out === false
        ? undefined
        : (input.out ?? join(model.checkpointRoot, `eval-${split}.json`));
    if (out) writeJsonAtomic(out, record);
    return {
      ...record,
      ...(out ? { out } : {}),
      scores: new Map(predictions.map((p) => [p.item.id, p.scores])),
    };
  } finally {
    if (owned) model.network.dispose();
  }
}
