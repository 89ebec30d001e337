/** Training and evaluation: curves per step and epoch, held-out metrics, per-class results. */
import type { TopLevelSpec } from 'vega-lite';
import { renderChart, type Row } from './charts.ts';
import { renderGenomeGraph } from './genomeGraph.ts';
import { escapeHtml, figure, pct, section, table } from './html.ts';
import type { ClassResults, EvalFile, TrainOutput } from './load.ts';

let graphs = 0;

/** Loss, accuracy and learning rate against the step; epoch means as points on the first two. */
export async function trainingCurves(train: TrainOutput): Promise<string> {
  if (train.steps.length === 0)
    return '<p class="note">No training steps logged (metrics.jsonl is empty).</p>';
  const steps: Row[] = train.steps.map((s) => ({
    step: s.step,
    epoch: s.epoch,
    loss: s.loss,
    accuracy: s.metric ?? null,
    lr: s.lr,
  }));
  const epochs: Row[] = train.epochs.map((e) => ({
    step: e.step,
    epoch: e.epoch,
    loss: e.loss,
    accuracy: e.metric ?? null,
  }));
  const curve = (field: 'loss' | 'accuracy', title: string): TopLevelSpec => ({
    title,
    width: 230,
    height: 150,
    layer: [
      {
        name: `steps_${field}`,
        data: { values: steps },
        mark: { type: 'line', strokeWidth: 1, color: '#90a4ae' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: {
            field,
            type: 'quantitative',
            title: `${field} (batch)`,
            ...(field === 'accuracy' ? { scale: { domain: [0, 1] } } : {}),
          },
        },
      },
      {
        name: `epochline_${field}`,
        data: { values: epochs },
        mark: { type: 'line', color: '#c62828' },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field, type: 'quantitative' },
        },
      },
      {
        name: `epochs_${field}`,
        data: { values: epochs },
        mark: { type: 'point', filled: true, size: 40, color: '#c62828' },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          y: { field, type: 'quantitative' },
          tooltip: [{ field: 'epoch' }, { field, format: '.3f' }],
        },
      },
    ],
  });
  const lr: TopLevelSpec = {
    title: 'learning rate',
    width: 230,
    height: 150,
    data: { values: steps },
    mark: { type: 'line', color: '#2e7d32' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'lr', type: 'quantitative', title: 'lr' },
    },
  };
  const charts = await Promise.all([
    renderChart(curve('loss', 'loss'), 'curve-loss'),
    renderChart(curve('accuracy', 'training accuracy'), 'curve-accuracy'),
    renderChart(lr, 'curve-lr'),
  ]);
  return `<div class="row">${charts.join('')}</div><p class="note">Grey: every step (batch values); red: epoch means.</p>`;
}

export function evalTable(evals: EvalFile[]): string {
  if (evals.length === 0) return '<p class="note">No held-out scores in this folder.</p>';
  const rows = evals.map(({ file, summary: s }) => [
    file.split(/[\\/]/).slice(-2).join('/'),
    s.split ?? '-',
    s.num_videos,
    s.num_classes,
    s.multi_label ? pct(s.map) : pct(s.top1),
    s.multi_label ? '-' : pct(s.top5),
    s.multi_label ? '-' : pct(s.mean_class_accuracy),
    s.multi_label ? '-' : pct(1 / s.num_classes),
  ]);
  return table(
    [
      'file',
      'split',
      'videos',
      'classes',
      'top-1 / mAP',
      'top-5',
      'mean class acc',
      'chance top-1',
    ],
    rows,
    'eval',
  );
}

/** Bars of the held-out metrics of each eval file (one group per file). */
export async function evalChart(evals: EvalFile[]): Promise<string> {
  const values: Row[] = evals.flatMap(({ file, summary: s }) => {
    const source = `${file.split(/[\\/]/).at(-1)}`;
    const metrics: [string, number | undefined][] = s.multi_label
      ? [['mAP', s.map]]
      : [
          ['top-1', s.top1],
          ['top-5', s.top5],
          ['mean class acc', s.mean_class_accuracy],
        ];
    return metrics
      .filter(([, v]) => v !== undefined)
      .map(([metric, value]) => ({ source, metric, value: value! }));
  });
  if (values.length === 0) return '';
  return renderChart(
    {
      title: 'held-out metrics',
      name: 'eval_bars',
      width: 220,
      height: { step: 16 },
      data: { values },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'metric', type: 'nominal', title: null, sort: null },
        yOffset: { field: 'source' },
        x: {
          field: 'value',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          axis: { format: '%' },
          title: null,
        },
        color: { field: 'source', type: 'nominal', title: 'file' },
      },
    },
    'eval-metrics',
  );
}

/** Per-class recall (or AP) bars and, for single-label sets, the confusion matrix. */
export async function classResultsFigure(results: ClassResults): Promise<string> {
  const perClass: Row[] = results.classes.map((name, i) => ({
    class: name,
    value: Number.isNaN(results.perClass[i]) ? null : results.perClass[i]!,
  }));
  const metric = results.multiLabel ? 'AP' : 'accuracy (recall)';
  const bars = await renderChart(
    {
      title: `per-class ${metric}`,
      width: { step: 18 },
      height: 140,
      data: { values: perClass },
      mark: { type: 'bar', color: '#5c6bc0' },
      encoding: {
        x: { field: 'class', type: 'nominal', sort: null, title: null },
        y: {
          field: 'value',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          axis: { format: '%' },
          title: metric,
        },
      },
    },
    'per-class',
  );
  if (!results.confusion) return `<div class="row">${bars}</div>`;
  const cells: Row[] = results.confusion.flatMap((row, t) =>
    row.map((count, p) => ({ true: results.classes[t]!, predicted: results.classes[p]!, count })),
  );
  const matrix = await renderChart(
    {
      title: 'confusion matrix (videos)',
      data: { values: cells },
      width: { step: 22 },
      height: { step: 22 },
      encoding: {
        x: { field: 'predicted', type: 'nominal', sort: results.classes, title: 'predicted' },
        y: { field: 'true', type: 'nominal', sort: results.classes, title: 'true class' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'count',
              type: 'quantitative',
              scale: { scheme: 'blues' },
              title: 'videos',
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: 'count', type: 'quantitative' },
            color: { condition: { test: 'datum.count > 0', value: '#000' }, value: '#bbb' },
          },
        },
      ],
    },
    'confusion',
  );
  return `<div class="row">${bars}${matrix}</div>`;
}

export async function trainBody(train: TrainOutput): Promise<string> {
  const parts: string[] = [await trainingCurves(train)];
  parts.push(evalTable(train.evals));
  if (train.evals.length > 0) parts.push(await evalChart(train.evals));
  if (train.genome) {
    graphs += 1;
    const svg = await renderGenomeGraph({
      genome: train.genome,
      weights: train.connectionWeights,
      id: `train-genome-${graphs}`,
    });
    parts.push(
      figure(
        svg,
        `${train.genome.name}: ${train.genome.nodes.length} nodes; edge width and opacity = connection weights ${train.connectionWeights ? `learned by this training (checkpoint ${train.checkpoint?.split(/[\\/]/).at(-1)})` : '(not available)'}.`,
        'genome',
      ),
    );
  }
  const settings = train.settings
    ? `<p class="note">Settings: ${escapeHtml(
        Object.entries(train.settings)
          .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
          .join(', '),
      )}</p>`
    : '';
  return parts.join('') + settings;
}

export async function trainSection(
  train: TrainOutput,
  title = `Training: ${train.name}`,
): Promise<string> {
  return section(title, await trainBody(train), 'train');
}

export async function evalSection(evals: EvalFile[]): Promise<string> {
  return section('Evaluation', evalTable(evals) + (await evalChart(evals)), 'eval');
}
