import type { Command } from 'commander';
import { InputError } from '../../src/errors.ts';
import { readManifest } from '../../datasets/manifests/read.ts';
import { formatSummary, summarizeScores, type ScoredVideo } from '../jobs/summarize.ts';
import { readPredictions, videoKey } from '../predictions.ts';
import { writeJsonLine } from '../output.ts';

export interface ScoreOptions {
  pred: string;
  gt: string;
  classes?: string;
  split?: string;
  json?: boolean;
}

/** Scores a prediction file against a manifest's labels; videos without a prediction are an error. */
export function scorePredictions(options: ScoreOptions) {
  const { manifest } = readManifest(options.gt, {
    ...(options.classes ? { classes: options.classes } : {}),
    missing: 'unchecked',
  });
  const predictions = readPredictions(options.pred, manifest.classes);
  const byKey = new Map<string, ScoredVideo>();
  for (const item of manifest.items) {
    if (options.split && item.split !== options.split) continue;
    byKey.set(item.id, { id: item.id, scores: [], labels: item.labels });
    byKey.set(videoKey(item.path), byKey.get(item.id)!);
  }
  const scored: ScoredVideo[] = [];
  const unknown: string[] = [];
  for (const row of predictions) {
    const video = byKey.get(row.id) ?? byKey.get(videoKey(row.id));
    if (!video) {
      unknown.push(`${row.id} (${row.source})`);
      continue;
    }
    if (video.scores.length > 0)
      throw new InputError(`score: video ${row.id} is predicted twice`, row.source);
    video.scores = row.scores;
    scored.push(video);
  }
  if (unknown.length > 0) {
    throw new InputError(
      `score: expected every predicted video in ${options.gt}, got ${unknown.length} unknown: ${unknown.slice(0, 5).join(', ')}`,
    );
  }
  const summary = summarizeScores(manifest.classes.length, manifest.multiLabel, scored);
  const expected = new Set([...byKey.values()]).size;
  return { summary, missing: expected - scored.length };
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description(
      'score predictions from any model against a manifest (Charades submission format or JSONL)',
    )
    .requiredOption(
      '--pred <file>',
      'predictions: "id s_0 ... s_C-1" lines, or JSONL with scores/top',
    )
    .requiredOption('--gt <manifest>', 'ground truth: Kinetics/Charades CSV, folder or list')
    .option('--classes <file>', 'class list (Charades: c000 name per line)')
    .option('--split <name>', 'only videos of this split')
    .option('--json', 'end with one JSON object on the last line')
    .action((options: ScoreOptions) => {
      const { summary, missing } = scorePredictions(options);
      process.stdout.write(`${formatSummary(summary)}\n`);
      if (missing > 0)
        process.stdout.write(
          `note: ${missing} video(s) of the manifest have no prediction and were not scored\n`,
        );
      if (options.json) writeJsonLine(summary);
    });
}
