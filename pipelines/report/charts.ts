/**
 * Charts as static SVG: a Vega-Lite spec compiled to Vega and rendered in Node without a DOM
 * (`View.toSVG` with the 'none' renderer). Every chart is inline data only (no loader, no
 * network). Element ids inside one chart (clip paths, gradients) get a per-chart prefix so that
 * several charts can share a page.
 */
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 10, titleFontSize: 11, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 12, anchor: 'start' as const },
  view: { stroke: '#ccc' },
};

let charts = 0;

function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** Renders a Vega-Lite spec to a standalone SVG document (the report's fonts and axes). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vegaSpec = compile({ config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a Vega-Lite spec to an SVG string wrapped in a div with `className`. */
export async function renderChart(spec: TopLevelSpec, className: string): Promise<string> {
  const svg = await renderSvg(spec);
  charts += 1;
  return `<div class="chart ${className}">${prefixIds(svg, `chart${charts}`)}</div>`;
}

export type Row = Record<string, string | number | boolean | null>;
