/**
 * What a search journal says about why guided evolution does or does not beat unguided search:
 * how far the learned connection weights moved from their start (sigmoid(0) = 0.5) by the end of
 * a proxy training, how many inputs the guided rule would drop, and how children score against
 * their parents.
 */
import { mean, sampleSd } from '../src/util/stats.ts';
import type { EvaluationRecord } from './journal.ts';

export interface WeightStats {
  /** Evaluations whose weights are counted (ok, trained here: taken-over copies are skipped). */
  evaluations: number;
  /** Learned weights of block inputs (stems have none). */
  edges: number;
  /** min, 5%, 25%, 50%, 75%, 95%, max (nearest-rank). */
  quantiles: number[];
  /** Mean of |w - 0.5|: how far training moved the weights from their initial value. */
  meanDistanceFromStart: number;
  /** Blocks with >= 2 inputs: mean of (largest - smallest) weight of a block's inputs. */
  meanSpreadPerBlock: number;
  /**
   * Of the inputs of blocks with >= 2 inputs, the share the guided rule drops at `threshold`
   * (below it and not the block's strongest).
   */
  droppedShare: number;
}

export interface ChildStats {
  children: number;
  /** Mean and sd of child fitness minus parent fitness. */
  meanDelta: number;
  sdDelta: number;
  /** Share of children that score above their parent. */
  improvedShare: number;
}

const QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

function nearestRank(sorted: number[], q: number): number {
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const ok = (r: EvaluationRecord) =>
  r.status === 'ok' && r.fitness !== null && r.connectionWeights !== null;

export function connectionWeightStats(records: EvaluationRecord[], threshold: number): WeightStats {
  const counted = records.filter((r) => ok(r) && !r.reusedFrom);
  const all: number[] = [];
  let spreadSum = 0;
  let blocks = 0;
  let multiInputs = 0;
  let dropped = 0;
  for (const record of counted) {
    for (const weights of record.connectionWeights!) {
      all.push(...weights);
      if (weights.length < 2) continue;
      const strongest = Math.max(...weights);
      spreadSum += strongest - Math.min(...weights);
      blocks++;
      multiInputs += weights.length;
      // as the guided rule: the first input at the maximum is kept even below the threshold
      const keptStrongest = weights.indexOf(strongest);
      dropped += weights.filter((w, i) => i !== keptStrongest && w < threshold).length;
    }
  }
  const sorted = [...all].sort((a, b) => a - b);
  return {
    evaluations: counted.length,
    edges: all.length,
    quantiles: sorted.length ? QUANTILES.map((q) => nearestRank(sorted, q)) : [],
    meanDistanceFromStart: all.length
      ? all.reduce((sum, w) => sum + Math.abs(w - 0.5), 0) / all.length
      : Number.NaN,
    meanSpreadPerBlock: blocks ? spreadSum / blocks : Number.NaN,
    droppedShare: multiInputs ? dropped / multiInputs : Number.NaN,
  };
}

export function childStats(records: EvaluationRecord[]): ChildStats {
  const byIndex = new Map(records.map((r) => [r.index, r]));
  const deltas: number[] = [];
  for (const record of records) {
    if (record.parent === null || !ok(record)) continue;
    const parent = byIndex.get(record.parent);
    if (!parent || !ok(parent)) continue;
    deltas.push(record.fitness! - parent.fitness!);
  }
  const n = deltas.length;
  return {
    children: n,
    meanDelta: mean(deltas),
    sdDelta: n > 1 ? sampleSd(deltas) : Number.NaN,
    improvedShare: n ? deltas.filter((d) => d > 0).length / n : Number.NaN,
  };
}
