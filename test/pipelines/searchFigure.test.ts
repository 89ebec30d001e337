/**
 * pipelines/experiments/searchFigure.ts: the curve and proposal rows of experiment B's figure
 * against values worked out by hand, and the spec renders to an SVG that names the arms.
 */
import { describe, expect, it } from 'vitest';
import {
  curveRows,
  proposalRows,
  searchFigureSpec,
} from '../../pipelines/experiments/searchFigure.ts';
import { renderSvg } from '../../pipelines/report/charts.ts';

// budget 3, population 1
const searches = [
  { arm: 'guided', seed: 1, fitness: [0.5, 0.7, 0.6] },
  { arm: 'guided', seed: 2, fitness: [null, 0.4, 0.8] },
  { arm: 'guided', seed: 3, fitness: [0.9] }, // not complete: left out
  { arm: 'random', seed: 1, fitness: [0.5, 0.55, null] },
];

describe('curveRows', () => {
  it('averages the best-so-far of the complete searches, with the lowest and highest seed', () => {
    const rows = curveRows(searches, ['guided', 'random', 'plain'], 3);
    const guided = rows.filter((r) => r.arm === 'guided');
    // guided curves (%): seed 1 50, 70, 70; seed 2 none yet, 40, 80
    expect(guided.map((r) => r.seeds)).toEqual([1, 2, 2]);
    expect(guided[0]).toMatchObject({ evaluation: 1, mean: 50, low: 50, high: 50 });
    expect(guided[1]!.mean).toBeCloseTo(55, 12);
    expect(guided[1]).toMatchObject({ low: 40, high: 70 });
    expect(guided[2]!.mean).toBeCloseTo(75, 12);
    const random = rows.filter((r) => r.arm === 'random').map((r) => r.mean);
    expect(random.length).toBe(3);
    [50, 55, 55].forEach((value, i) => expect(random[i]).toBeCloseTo(value, 12));
    expect(rows.some((r) => r.arm === 'plain')).toBe(false);
  });
});

describe('proposalRows', () => {
  it('keeps the successful evaluations after the population, in %', () => {
    const rows = proposalRows(searches, 3, 1);
    expect(rows.map((r) => [r.arm, r.seed, Math.round(r.fitness)])).toEqual([
      ['guided', 1, 70],
      ['guided', 1, 60],
      ['guided', 2, 40],
      ['guided', 2, 80],
      ['random', 1, 55],
    ]);
  });
});

describe('searchFigureSpec', () => {
  it('renders to one SVG with the curves, the boxes and the arms in the legend', async () => {
    const svg = await renderSvg(
      searchFigureSpec(searches, { arms: ['guided', 'random'], budget: 3, population: 1 }),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('line mark container');
    expect(svg).toContain('area mark container');
    expect(svg).toContain('aria-roledescription="box"');
    expect(svg).toContain('>guided<');
    expect(svg).toContain('>random<');
    expect(svg).toContain('evaluations 2-3');
  });
});
