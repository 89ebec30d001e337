/**
 * Parent selection. `tournament`: the population is the best P evaluations so far; `aging`
 * (regularised evolution, Real et al. 2019): the population is the P most recent evaluations,
 * so old genomes die even when good. Both pick the fittest of S sampled members.
 */
import type { Rng } from '../src/index.ts';
import type { EvaluationRecord } from './journal.ts';

export type SelectionKind = 'tournament' | 'aging';

function score(record: EvaluationRecord): number {
  return record.status === 'ok' && record.fitness !== null ? record.fitness : -Infinity;
}

/** Current population from the finished evaluations (sorted by index). */
export function population(
  records: EvaluationRecord[],
  size: number,
  kind: SelectionKind,
): EvaluationRecord[] {
  if (kind === 'aging') return records.slice(-size);
  return [...records].sort((a, b) => score(b) - score(a) || a.index - b.index).slice(0, size);
}

export function tournament(
  members: EvaluationRecord[],
  sampleSize: number,
  rng: Rng,
): EvaluationRecord {
  let best: EvaluationRecord | undefined;
  for (let k = 0; k < sampleSize; k++) {
    const member = rng.pick(members);
    if (
      !best ||
      score(member) > score(best) ||
      (score(member) === score(best) && member.index < best.index)
    )
      best = member;
  }
  return best!;
}
