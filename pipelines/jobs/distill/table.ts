/**
 * The distillation table: one row per network (the teacher, the chosen student, every searched
 * candidate with its status), printed for people and stored in out/distill.json.
 */
import type { SearchRecord } from '../../../src/index.ts';

/** One row (accuracy: top-1, or mAP on multi-label sets, on `split`). */
export interface DistillTableRow {
  name: string;
  role: 'teacher' | 'chosen' | 'pareto' | 'candidate';
  accuracy: number;
  metric: 'top1' | 'map';
  split: string;
  /** Median batch-1 time of one clip including the measured flow cost (when the model reads flow). */
  latencyMs: number;
  /** The same without the flow cost. */
  modelLatencyMs: number;
  flowMs: number;
  parameters: number;
  flops: number;
  streams: string[];
  /** Epochs the row's student was trained for (search budget or final). */
  epochs?: number;
  hash?: string;
  /** Candidates: ok, failed (with the reason) or skipped (not trained, with the reason). */
  status?: SearchRecord['status'];
  reason?: string;
  /** Candidates: the batch it trained with, when the heap estimate lowered it. */
  batch?: number;
}

export interface DistillTableInput {
  table: DistillTableRow[];
  target: number;
  chosen: { latencyMs: number; meetsTarget: boolean };
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '-');

/** The table for people, one row per network, then the verdict on the latency target. */
export function formatDistillTable(result: DistillTableInput): string {
  const header = [
    'role',
    'name',
    'streams',
    'epochs',
    'acc',
    'latency ms',
    'no-flow ms',
    'params',
    'MFLOPs',
    'status',
  ];
  const rows = result.table.map((row) => [
    row.role,
    row.name,
    row.streams.join('+'),
    row.epochs === undefined ? '-' : String(row.epochs),
    row.status && row.status !== 'ok' ? '-' : `${(100 * row.accuracy).toFixed(1)}% ${row.metric}`,
    ms(row.latencyMs),
    ms(row.modelLatencyMs),
    String(row.parameters),
    (row.flops / 1e6).toFixed(1),
    row.status === undefined
      ? ''
      : `${row.status}${row.batch !== undefined ? ` (batch ${row.batch})` : ''}${row.reason ? `: ${row.reason}` : ''}`,
  ]);
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => (c === header.length - 1 ? 0 : row[c]!.length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const verdict = `chosen student ${ms(result.chosen.latencyMs)} ms vs target ${result.target} ms: ${result.chosen.meetsTarget ? 'meets' : 'misses'} the target`;
  return [line(header), ...rows.map(line), verdict].join('\n');
}
