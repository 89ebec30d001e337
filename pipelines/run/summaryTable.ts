/** The table a pipeline prints at the end: one row per trained model, then each distill stage's rows. */
import type { DistilledModel, PipelineResult } from './runPipeline.ts';

const pct = (value: number | undefined) =>
  value === undefined ? '-' : `${(100 * value).toFixed(1)}%`;

export function formatPipelineSummary(result: PipelineResult): string {
  const multiLabel = result.models.some((m) => m.test?.multi_label);
  const header = multiLabel
    ? ['model', 'genome', 'params', 'GFLOPs', 'test mAP', 'steps', 'train s']
    : [
        'model',
        'genome',
        'params',
        'GFLOPs',
        'test top-1',
        'top-5',
        'mean cls acc',
        'steps',
        'train s',
      ];
  const rows = result.models.map((m) => {
    const head = [
      m.name,
      m.genome.name,
      `${(m.parameters / 1e6).toFixed(2)}M`,
      m.gflops.toFixed(2),
    ];
    const metrics = multiLabel
      ? [pct(m.test?.map)]
      : [pct(m.test?.top1), pct(m.test?.top5), pct(m.test?.mean_class_accuracy)];
    return [...head, ...metrics, String(m.steps), m.trainSeconds.toFixed(0)];
  });
  const lines = aligned(header, rows);
  const chance = result.models[0]?.test
    ? `chance: ${pct(1 / result.models[0].test.num_classes)} top-1 on ${result.models[0].test.num_videos} ${result.models[0].test.split} videos`
    : '';
  if (chance && !multiLabel) lines.push(chance);
  if (result.evolve) {
    lines.push(
      `evolved: best of ${result.evolve.evaluations} candidates (#${result.evolve.best}, val ${pct(result.evolve.fitness)}) -> ${result.evolve.bestFile}`,
    );
  }
  for (const distilled of result.distill) lines.push('', ...formatDistilled(distilled));
  for (const c of result.classify)
    lines.push(`classified with ${c.model}: ${c.ok} ok, ${c.failed} failed -> ${c.out}`);
  lines.push(`total ${result.seconds.toFixed(0)} s; everything is in ${result.out}`);
  return lines.join('\n');
}

function aligned(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The teacher and the chosen student of a distill stage (the Pareto front is in summary.json). */
export function formatDistilled(distilled: DistilledModel): string[] {
  const header = [
    'distill ' + distilled.name,
    'network',
    'streams',
    'acc',
    'latency ms',
    'no-flow ms',
    'params',
    'MFLOPs',
    `<= ${distilled.targetMs} ms`,
  ];
  const rows = distilled.table
    .filter((row) => row.role !== 'pareto')
    .map((row) => [
      row.role,
      row.name,
      row.streams.join('+'),
      `${pct(row.accuracy)} ${row.metric}`,
      row.latencyMs.toFixed(1),
      row.modelLatencyMs.toFixed(1),
      `${(row.parameters / 1e6).toFixed(3)}M`,
      (row.flops / 1e6).toFixed(1),
      row.latencyMs <= distilled.targetMs ? 'yes' : 'no',
    ]);
  return [...aligned(header, rows), `student checkpoint ${distilled.checkpoint}`];
}
