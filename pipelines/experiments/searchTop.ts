/**
 * Experiment B judged by more than one genome per search: the K genomes of each search with the
 * highest val fitness (distinct genomes; ties: the earlier evaluation), each trained with the full
 * recipe and scored on test. The mean of a search's top K is less at the mercy of one lucky proxy
 * training than its single best. Pure: selection and summary; search-top.ts runs the trainings.
 */
import { mean } from '../../src/util/stats.ts';
import type { EvaluationRecord } from '../../evolution/index.ts';
import { perSeed, searchPairs, type PerSeed } from './searchSummary.ts';

/** Genome identity for the selection: what the network is built from, not its name. */
const genomeKey = (record: EvaluationRecord): string => JSON.stringify(record.genome.nodes);

/** The `k` best distinct genomes of a search, best first (ties: lower index first). */
export function topEvaluations(
  evaluations: readonly EvaluationRecord[],
  k: number,
): EvaluationRecord[] {
  const ranked = evaluations
    .filter((e) => e.status === 'ok' && e.fitness !== null)
    .sort((a, b) => b.fitness! - a.fitness! || a.index - b.index);
  const seen = new Set<string>();
  const top: EvaluationRecord[] = [];
  for (const record of ranked) {
    if (top.length === k) break;
    const key = genomeKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    top.push(record);
  }
  return top;
}

/** One trained genome of a search's top K. */
export interface TopScore {
  arm: string;
  seed: number;
  rank: number;
  /** Proxy val fitness (0-1) that ranked it. */
  val: number;
  /** Test top-1 (0-1) after the full recipe. */
  test: number;
}

export interface TopSummary {
  k: number;
  /** Per arm: the mean test top-1 of each search's top K (%), one value per seed. */
  arms: { arm: string; topMean: PerSeed; best: PerSeed }[];
  /** Arm a minus arm b, seed by seed (points). */
  differences: { a: string; b: string; topMean: PerSeed }[];
}

/** Summary over the searches with all K genomes scored (others are left out). */
export function summarizeTop(
  scores: readonly TopScore[],
  arms: readonly string[],
  k: number,
): TopSummary {
  const searchesOf = (arm: string) => {
    const seeds = [...new Set(scores.filter((s) => s.arm === arm).map((s) => s.seed))];
    return seeds.flatMap((seed) => {
      const mine = scores.filter((s) => s.arm === arm && s.seed === seed && s.rank <= k);
      if (mine.length < k) return [];
      const best = mine.find((s) => s.rank === 1)!;
      return [{ seed, topMean: 100 * mean(mine.map((s) => s.test)), best: 100 * best.test }];
    });
  };
  const summary = arms.map((arm) => {
    const searches = searchesOf(arm);
    return {
      arm,
      topMean: perSeed(searches.map((s) => ({ seed: s.seed, value: s.topMean }))),
      best: perSeed(searches.map((s) => ({ seed: s.seed, value: s.best }))),
    };
  });
  const differences = searchPairs(arms).map(([a, b]) => {
    const other = searchesOf(b);
    return {
      a,
      b,
      topMean: perSeed(
        searchesOf(a).flatMap((s) => {
          const o = other.find((x) => x.seed === s.seed);
          return o ? [{ seed: s.seed, value: s.topMean - o.topMean }] : [];
        }),
      ),
    };
  });
  return { k, arms: summary, differences };
}
