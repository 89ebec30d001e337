/**
 * Distillation: latency against accuracy of every searched student, the Pareto front (no other
 * student is both faster and more accurate), the latency target and the teacher's latency, the
 * chosen student, and the teacher-vs-student table on the test split.
 */
import { paretoFront } from '../../src/index.ts';
import { renderChart, type Row } from './charts.ts';
import { escapeHtml, pct, section, table } from './html.ts';
import type { DistillOutput } from './load.ts';

export function candidateRows(distill: DistillOutput): Row[] {
  const { records, chosen } = distill.result;
  const front = new Set(paretoFront(records).map((r) => r.hash));
  return records.map((r) => ({
    hash: r.hash,
    name: r.arch.name,
    streams: r.arch.streams,
    accuracy: r.accuracy,
    latencyMs: r.latencyMs,
    reward: r.reward,
    origin: r.origin,
    pareto: front.has(r.hash),
    chosen: r.hash === chosen.hash,
  }));
}

async function tradeOffChart(distill: DistillOutput): Promise<string> {
  const rows = candidateRows(distill);
  const front = rows
    .filter((r) => r.pareto)
    .sort((a, b) => (a.latencyMs as number) - (b.latencyMs as number));
  const teacher = distill.result.table.find((row) => row.role === 'teacher');
  const rules: Row[] = [
    { what: `target ${distill.result.target} ms`, latencyMs: distill.result.target },
    ...(teacher
      ? [{ what: `teacher ${teacher.latencyMs.toFixed(1)} ms`, latencyMs: teacher.latencyMs }]
      : []),
  ];
  const x = {
    field: 'latencyMs',
    type: 'quantitative',
    title: 'latency per clip, batch 1 (ms, with flow when read)',
    scale: { zero: false, nice: true },
  };
  const y = {
    field: 'accuracy',
    type: 'quantitative',
    title: 'search accuracy (val)',
    axis: { format: '%' },
  };
  return renderChart(
    {
      title:
        'students: latency vs accuracy (orange: Pareto front; ring: chosen; red: target; grey: teacher)',
      width: 460,
      height: 240,
      layer: [
        {
          name: 'target',
          data: { values: rules },
          mark: { type: 'rule', strokeDash: [5, 3] },
          encoding: {
            x: { field: 'latencyMs', type: 'quantitative' },
            color: {
              field: 'what',
              type: 'nominal',
              title: null,
              scale: { range: ['#c62828', '#757575'] },
            },
          },
        },
        {
          name: 'front',
          data: { values: front },
          mark: { type: 'line', color: '#ef6c00', strokeWidth: 1.5 },
          encoding: { x, y },
        },
        {
          name: 'candidates',
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 60, color: '#90a4ae' },
          encoding: {
            x,
            y,
            shape: { field: 'streams', type: 'nominal', title: 'streams' },
            tooltip: [
              { field: 'name' },
              { field: 'accuracy', format: '.3f' },
              { field: 'latencyMs', format: '.1f' },
              { field: 'reward', format: '.3f' },
            ],
          },
        },
        {
          name: 'pareto',
          data: { values: front },
          mark: { type: 'point', filled: true, size: 60, color: '#ef6c00' },
          encoding: {
            x,
            y,
            shape: { field: 'streams', type: 'nominal' },
            tooltip: [{ field: 'name' }],
          },
        },
        {
          name: 'chosen',
          data: { values: rows.filter((r) => r.chosen) },
          mark: { type: 'point', filled: false, size: 220, color: '#000', strokeWidth: 2 },
          encoding: { x, y, tooltip: [{ field: 'name' }] },
        },
      ],
    } as never,
    'pareto',
  );
}

export async function distillBody(distill: DistillOutput): Promise<string> {
  const r = distill.result;
  const rows = r.table.map((row) => [
    row.role,
    row.name,
    row.streams.join('+'),
    `${pct(row.accuracy)} ${row.metric === 'map' ? 'mAP' : 'top-1'} (${row.split})`,
    row.latencyMs.toFixed(1),
    row.modelLatencyMs.toFixed(1),
    row.flowMs.toFixed(1),
    `${(row.parameters / 1e6).toFixed(3)}M`,
    `${(row.flops / 1e9).toFixed(3)}`,
    row.epochs ?? '-',
  ]);
  const front = candidateRows(distill).filter((c) => c.pareto);
  const chosen = r.chosen;
  const intro = `<p>${r.records.length} students searched (KD from ${r.teacherLogits.clips} cached teacher logits), target ${r.target} ms. Chosen: <b>${escapeHtml(chosen.arch.name)}</b>, ${chosen.latencyMs.toFixed(1)} ms, ${chosen.meetsTarget ? 'meets the target' : 'misses the target (no student met it)'}; Pareto front: ${front.map((c) => escapeHtml(String(c.name))).join(', ')}.</p>`;
  return [
    intro,
    await tradeOffChart(distill),
    '<h3>Teacher vs chosen student (test split)</h3>',
    table(
      [
        'role',
        'model',
        'streams',
        'accuracy',
        'latency ms',
        'model ms',
        'flow ms',
        'params',
        'GFLOPs',
        'KD epochs',
      ],
      rows,
      'distill',
    ),
  ].join('');
}

export async function distillSection(distill: DistillOutput): Promise<string> {
  return section(`Distillation: ${distill.name}`, await distillBody(distill), 'distill');
}
