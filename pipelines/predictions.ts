/**
 * Prediction files from any model, for `score`:
 * - Charades submission format: one line per video, `id s_0 s_1 ... s_{C-1}` (space-separated);
 * - JSONL: one object per line with `video` or `id`, and `scores` (one per class) or `top`
 *   (`[{label|class, score}]`, the `classify` output; classes not listed score the lowest
 *   listed score minus 1, so rankings stay finite).
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '../src/errors.ts';

export interface PredictionRow {
  id: string;
  scores: number[];
  /** Where the row came from (file:line). */
  source: string;
}

interface JsonPrediction {
  id?: unknown;
  video?: unknown;
  scores?: unknown;
  top?: unknown;
  error?: unknown;
}

/** The id a video is known by: its manifest id, or its file name without extension. */
export function videoKey(pathOrId: string): string {
  return basename(pathOrId, extname(pathOrId));
}

export function readPredictions(file: string, classes: string[]): PredictionRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`score: cannot read predictions: ${(error as Error).message}`, file);
  }
  const rows: PredictionRow[] = [];
  const classIndex = new Map(classes.map((name, index) => [name, index]));
  text.split(/\r?\n/).forEach((raw, lineIndex) => {
    const line = raw.trim();
    const where = `${file}:${lineIndex + 1}`;
    if (!line) return;
    if (line.startsWith('{')) {
      const row = parseJsonRow(line, where, classes.length, classIndex);
      if (row) rows.push(row);
      return;
    }
    const fields = line.split(/\s+/);
    if (fields.length !== classes.length + 1) {
      throw new InputError(
        `score: expected "id" then ${classes.length} scores (Charades submission format), got ${fields.length - 1} scores`,
        where,
      );
    }
    const scores = fields.slice(1).map(Number);
    const bad = scores.findIndex((s) => !Number.isFinite(s));
    if (bad >= 0)
      throw new InputError(
        `score: expected a number for class ${bad}, got "${fields[bad + 1]}"`,
        where,
      );
    rows.push({ id: fields[0]!, scores, source: where });
  });
  if (rows.length === 0)
    throw new InputError('score: expected at least one prediction, got none', file);
  return rows;
}

function parseJsonRow(
  line: string,
  where: string,
  numClasses: number,
  classIndex: Map<string, number>,
): PredictionRow | undefined {
  let value: JsonPrediction;
  try {
    value = JSON.parse(line) as JsonPrediction;
  } catch {
    throw new InputError('score: expected one JSON object per line, got unparsable text', where);
  }
  const name =
    typeof value.id === 'string'
      ? value.id
      : typeof value.video === 'string'
        ? videoKey(value.video)
        : undefined;
  if (!name) throw new InputError('score: expected "id" or "video" in the JSON row', where);
  if (value.error !== undefined && value.scores === undefined && value.top === undefined)
    return undefined;
  if (Array.isArray(value.scores)) {
    const scores = value.scores.map(Number);
    if (scores.length !== numClasses || scores.some((s) => !Number.isFinite(s))) {
      throw new InputError(
        `score: expected "scores" with ${numClasses} numbers, got ${JSON.stringify(value.scores).slice(0, 60)}`,
        where,
      );
    }
    return { id: name, scores, source: where };
  }
  if (Array.isArray(value.top)) {
    const listed = value.top as {
      label?: unknown;
      class?: unknown;
      index?: unknown;
      score?: unknown;
    }[];
    const floor = Math.min(...listed.map((t) => Number(t.score))) - 1;
    const scores = new Array<number>(numClasses).fill(Number.isFinite(floor) ? floor : 0);
    for (const entry of listed) {
      const label =
        typeof entry.index === 'number'
          ? entry.index
          : classIndex.get(String(entry.label ?? entry.class));
      if (label === undefined || label < 0 || label >= numClasses) {
        throw new InputError(
          `score: unknown class ${JSON.stringify(entry.label ?? entry.class ?? entry.index)}`,
          where,
        );
      }
      scores[label] = Number(entry.score);
    }
    return { id: name, scores, source: where };
  }
  throw new InputError(
    'score: expected "scores" (one per class) or "top" ([{label, score}]) in the JSON row',
    where,
  );
}
