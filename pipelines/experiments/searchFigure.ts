/**
 * Experiment B's figure: best-so-far validation top-1 against evaluations (mean over the complete
 * searches of each arm, band from the lowest to the highest seed), beside the distribution of the
 * proposals' fitness per arm (the evaluations after the shared start; searchSummary.ts says why
 * they matter). Pure: rows and a Vega-Lite spec; search.ts --svg renders it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { mean } from '../../src/util/stats.ts';
import { bestSoFar, isComplete, type SearchFitness } from './searchSummary.ts';

export interface CurveRow {
  arm: string;
  evaluation: number;
  /** Best-so-far val top-1 (%) after `evaluation` evaluations: mean, lowest and highest seed. */
  mean: number;
  low: number;
  high: number;
  seeds: number;
}

export interface ProposalRow {
  arm: string;
  seed: number;
  fitness: number;
}

const complete = (searches: readonly SearchFitness[], budget: number) =>
  searches.filter((s) => isComplete(s, budget));

/** One row per arm and evaluation 1..budget, over the arm's complete searches (none: no rows). */
export function curveRows(
  searches: readonly SearchFitness[],
  arms: readonly string[],
  budget: number,
): CurveRow[] {
  return arms.flatMap((arm) => {
    const curves = complete(searches, budget)
      .filter((s) => s.arm === arm)
      .map((s) => bestSoFar(s.fitness.slice(0, budget)).map((f) => 100 * f));
    if (curves.length === 0) return [];
    return Array.from({ length: budget }, (_, i) => {
      const values = curves.map((curve) => curve[i]!).filter(Number.isFinite);
      return {
        arm,
        evaluation: i + 1,
        mean: mean(values),
        low: Math.min(...values),
        high: Math.max(...values),
        seeds: values.length,
      };
    }).filter((row) => row.seeds > 0);
  });
}

/** The successful proposals (index >= population) of the complete searches, in %. */
export function proposalRows(
  searches: readonly SearchFitness[],
  budget: number,
  population: number,
): ProposalRow[] {
  return complete(searches, budget).flatMap((s) =>
    s.fitness
      .slice(population, budget)
      .flatMap((f) => (f === null ? [] : [{ arm: s.arm, seed: s.seed, fitness: 100 * f }])),
  );
}

export function searchFigureSpec(
  searches: readonly SearchFitness[],
  options: { arms: readonly string[]; budget: number; population: number },
): TopLevelSpec {
  const { arms, budget, population } = options;
  const color = {
    field: 'arm',
    type: 'nominal',
    scale: { domain: [...arms] },
    legend: { orient: 'bottom-right', title: null, symbolOpacity: 1 },
  };
  const valScale = { zero: false };
  return {
    resolve: { scale: { color: 'independent' } },
    // Node has no canvas to measure text, and vega's estimate of the titles' width would push
    // the second chart far to the right: lay out by the plots only.
    bounds: 'flush',
    spacing: 70,
    hconcat: [
      {
        title: 'best-so-far val top-1: mean over seeds, band = lowest to highest seed',
        width: 420,
        height: 240,
        data: { values: curveRows(searches, arms, budget) },
        layer: [
          {
            mark: { type: 'area', opacity: 0.15 },
            encoding: {
              x: { field: 'evaluation', type: 'quantitative', title: 'evaluations' },
              y: { field: 'low', type: 'quantitative', scale: valScale, title: 'val top-1 (%)' },
              y2: { field: 'high' },
              color,
            },
          },
          {
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x: { field: 'evaluation', type: 'quantitative' },
              y: { field: 'mean', type: 'quantitative', scale: valScale },
              color,
            },
          },
        ],
      },
      {
        title: `val top-1 of the proposals (evaluations ${population + 1}-${budget}), all seeds`,
        // room for a label like "guided+inherit" under each box: Node cannot measure text
        width: 90 * arms.length,
        height: 240,
        data: { values: proposalRows(searches, budget, population) },
        mark: { type: 'boxplot', extent: 'min-max' },
        encoding: {
          x: {
            field: 'arm',
            type: 'nominal',
            sort: [...arms],
            title: null,
            axis: { labelAngle: 0 },
          },
          y: { field: 'fitness', type: 'quantitative', scale: valScale, title: 'val top-1 (%)' },
          color: { ...color, legend: null },
        },
      },
    ],
  } as TopLevelSpec;
}
