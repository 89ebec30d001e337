/**
 * `assemblenet report`: one self-contained HTML page for any output folder of train, eval,
 * evolve, distill or run (load.ts tells which). Genome graphs are laid out by ELK, charts are
 * Vega-Lite rendered to SVG in Node; the page has no script and requests nothing.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_VERSION } from '../../src/version.ts';
import { tf } from '../../src/index.ts';
import { distillBody, distillSection } from './distillSection.ts';
import { evolveSection } from './evolveSection.ts';
import { page, pct, section, table } from './html.ts';
import { loadOutput, type ReportData, type RunOutput } from './load.ts';
import { classResultsFigure, evalSection, trainBody, trainSection } from './trainSection.ts';
import { renderChart } from './charts.ts';

export const REPORT_FILE = 'report.html';

/** What the caller knows that the folder does not record. */
export interface ReportMeta {
  /** The command that made the folder (e.g. `assemblenet run pipelines/demo.json`). */
  command?: string;
  backend?: string;
  dataset?: string;
}

function timeRange(data: ReportData): string | null {
  const times: string[] = [];
  const add = (t: string | null | undefined) => t && times.push(t);
  const fromTrain = (d: ReportData) => {
    if (d.kind === 'train') {
      add(d.firstTime);
      add(d.lastTime);
    }
  };
  if (data.kind === 'run') data.trains.forEach(fromTrain);
  fromTrain(data);
  const evolve = data.kind === 'evolve' ? data : data.kind === 'run' ? data.evolve : null;
  if (evolve) {
    add(evolve.header?.startedAt);
    for (const r of evolve.evaluations) add(r.finishedAt);
  }
  if (times.length === 0) return null;
  times.sort();
  return `${times[0]} .. ${times.at(-1)}`;
}

function datasetOf(data: ReportData, meta: ReportMeta): string {
  if (meta.dataset) return meta.dataset;
  if (data.kind === 'run' && data.summary.manifest) return data.summary.manifest;
  const train = data.kind === 'train' ? data : data.kind === 'run' ? data.trains[0] : undefined;
  if (train && train.classes.length > 0)
    return `${train.classes.length} classes: ${train.classes.slice(0, 12).join(', ')}${train.classes.length > 12 ? ', ...' : ''}`;
  const evals = data.kind === 'eval' ? data.evals : [];
  if (evals[0])
    return `${evals[0].summary.num_videos} videos, ${evals[0].summary.num_classes} classes`;
  return 'not recorded in the folder';
}

function headerFields(data: ReportData, meta: ReportMeta, path: string): [string, string][] {
  return [
    ['folder', resolve(path)],
    ['kind', data.kind],
    ['command', meta.command ?? `not recorded (report made by: assemblenet report ${path})`],
    [
      'versions',
      `assemblenet-ts ${PACKAGE_VERSION}, TensorFlow.js ${tf.version.tfjs}, Node.js ${process.versions.node}`,
    ],
    ['backend', meta.backend ?? 'not recorded in the folder'],
    ['dataset', datasetOf(data, meta)],
    ['time', timeRange(data) ?? 'not recorded'],
    ['report made', new Date().toISOString()],
  ];
}

async function runModelsSection(run: RunOutput): Promise<string> {
  const models = run.summary.models;
  if (models.length === 0) return '';
  const multi = models.some((m) => m.test?.multi_label);
  const rows = models.map((m) => [
    m.name,
    m.genome,
    `${(m.parameters / 1e6).toFixed(2)}M`,
    m.gflops.toFixed(2),
    multi ? pct(m.test?.map) : pct(m.test?.top1),
    multi ? '-' : pct(m.test?.top5),
    multi ? '-' : pct(m.test?.mean_class_accuracy),
    m.steps,
    Math.round(m.trainSeconds),
  ]);
  const metric = multi ? 'test mAP' : 'test top-1';
  const chart = await renderChart(
    {
      title: `${metric} per model${multi ? '' : ' (line: chance)'}`,
      width: { step: 60 },
      height: 150,
      layer: [
        {
          name: 'models',
          data: {
            values: models.map((m) => ({
              model: m.name,
              value: (multi ? m.test?.map : m.test?.top1) ?? null,
            })),
          },
          mark: { type: 'bar', color: '#5c6bc0' },
          encoding: {
            x: {
              field: 'model',
              type: 'nominal',
              sort: null,
              title: null,
              axis: { labelAngle: 0 },
            },
            y: {
              field: 'value',
              type: 'quantitative',
              scale: { domain: [0, 1] },
              axis: { format: '%' },
              title: metric,
            },
          },
        },
        ...(multi || !models[0]?.test
          ? []
          : [
              {
                data: { values: [{ chance: 1 / models[0].test.num_classes }] },
                mark: { type: 'rule', color: '#c62828', strokeDash: [4, 3] },
                encoding: { y: { field: 'chance', type: 'quantitative' } },
              },
            ]),
      ],
    } as never,
    'models',
  );
  return section(
    'Models',
    table(
      [
        'model',
        'genome',
        'params',
        'GFLOPs',
        metric,
        'top-5',
        'mean class acc',
        'steps',
        'train s',
      ],
      rows,
      'models',
    ) + chart,
    'models',
  );
}

async function runBody(run: RunOutput): Promise<string> {
  const parts: string[] = [await runModelsSection(run)];
  if (run.evolve) parts.push(await evolveSection(run.evolve));
  for (const train of run.trains)
    parts.push(await trainSection(train, `Training: ${train.name} (${train.genome?.name ?? '?'})`));
  for (const results of run.classified) {
    parts.push(
      section(
        `Classified with ${results.source}: per class (${results.videos} videos)`,
        await classResultsFigure(results),
        'classify',
      ),
    );
  }
  for (const distill of run.distills) parts.push(await distillSection(distill));
  return parts.join('');
}

async function bodyOf(data: ReportData): Promise<string> {
  switch (data.kind) {
    case 'run':
      return runBody(data);
    case 'evolve':
      return evolveSection(data);
    case 'distill':
      return section(`Distillation: ${data.name}`, await distillBody(data), 'distill');
    case 'train':
      return section(`Training: ${data.name}`, await trainBody(data), 'train');
    case 'eval':
      return evalSection(data.evals);
  }
}

/** The report page of an output folder (or an eval JSON file). */
export async function buildReport(path: string, meta: ReportMeta = {}): Promise<string> {
  const data = await loadOutput(path);
  const title = `AssembleNet-TS ${data.kind} report: ${path.split(/[\\/]/).filter(Boolean).at(-1)}`;
  return page({ title, fields: headerFields(data, meta, path) }, await bodyOf(data));
}

/** Writes the report (default `<folder>/report.html`) and returns its absolute path. */
export async function writeReport(
  path: string,
  meta: ReportMeta = {},
  out?: string,
): Promise<string> {
  const html = await buildReport(path, meta);
  const file = resolve(
    out ??
      (existsSync(path) && statSync(path).isDirectory()
        ? join(path, REPORT_FILE)
        : join(dirname(path), REPORT_FILE)),
  );
  writeFileSync(file, html);
  return file;
}

/** Header fields of a report written by the command now running (`--report`, `run`). */
export function commandMeta(backend: string, dataset?: string): ReportMeta {
  const args = process.argv
    .slice(2)
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`));
  return { command: `assemblenet ${args.join(' ')}`, backend, ...(dataset ? { dataset } : {}) };
}
