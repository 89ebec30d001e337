/**
 * The official Charades submission format: one line per video, the video id then one score per
 * class (157 for Charades), separated by single spaces. The official evaluation splits each line
 * on whitespace, so an id holding whitespace cannot be written: it is refused, never rewritten
 * (a rewritten id would no longer match the ground truth, or could match another video's).
 */
import { InputError } from '../errors.ts';
import { scoreMatrix, type ScoreMatrix } from './scoreMatrix.ts';

/** Why `id` cannot be a submission line's first field, or undefined when it can. */
export function charadesIdProblem(id: string): string | undefined {
  if (id === '') return 'expected a non-empty video id';
  if (/\s/.test(id))
    return `expected a video id without spaces (fields are whitespace-separated), got "${id}"`;
  return undefined;
}

/** Lines `<id> <score_0> ... <score_{C-1}>` for video scores `[videoIds.length, numClasses]`. */
export function formatCharadesSubmission(videoIds: readonly string[], scores: ScoreMatrix): string {
  if (videoIds.length !== scores.numItems) {
    throw new InputError(
      `metrics: expected one video id per score row (${scores.numItems}), got ${videoIds.length}`,
    );
  }
  const lines: string[] = [];
  for (let v = 0; v < videoIds.length; v++) {
    const id = videoIds[v]!;
    const problem = charadesIdProblem(id);
    if (problem) throw new InputError(`metrics: ${problem}`);
    const row = Array.from(
      scores.data.slice(v * scores.numClasses, (v + 1) * scores.numClasses),
      String,
    );
    lines.push(`${id} ${row.join(' ')}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Reads a submission back: ids in file order and their scores `[ids, numClasses]`. */
export function parseCharadesSubmission(
  text: string,
  numClasses: number,
  source = 'the submission',
): { videoIds: string[]; scores: ScoreMatrix } {
  const videoIds: string[] = [];
  const rows: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.trim().split(/\s+/);
    if (fields.length !== numClasses + 1) {
      throw new InputError(
        `metrics: expected an id and ${numClasses} scores per line, got ${fields.length - 1} scores`,
        `${source}:${index + 1}`,
      );
    }
    videoIds.push(fields[0]!);
    for (const field of fields.slice(1)) {
      const value = Number(field);
      if (!Number.isFinite(value)) {
        throw new InputError(
          `metrics: expected a finite score, got "${field}"`,
          `${source}:${index + 1}`,
        );
      }
      rows.push(value);
    }
  });
  return { videoIds, scores: scoreMatrix(Float64Array.from(rows), numClasses) };
}
