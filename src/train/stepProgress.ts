/**
 * Console progress of a training run, step by step: loss, metric, lr, gradient norm, rate and ETA.
 * On a TTY it is a cli-progress bar redrawn in place; otherwise (logs, CI, pipes) one plain line
 * every few steps. (Jobs that only count units of work use the applications' count progress.)
 */
import cliProgress from 'cli-progress';
import type { EpochRecord, StepRecord } from './records.ts';

/** The part of a writable stream the reporter uses. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressReporterOptions {
  /** Steps of the whole run (enables percentage, bar and ETA). */
  totalSteps?: number;
  /** Step the run (re)started from, so rate and ETA ignore earlier steps. Default 0. */
  startStep?: number;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Force bar (true) or plain lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Plain mode: one line every N steps (and the first and last). Default 10. */
  everySteps?: number;
  /** Name shown for the metric. Default "acc". */
  metricName?: string;
  /** Prefix of every line (e.g. the run name). */
  label?: string;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** "1h02m", "4m08s", "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function fixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) > 0 && Math.abs(value) < 10 ** -digits
    ? value.toExponential(2)
    : value.toFixed(digits);
}

/** Steps per second over a sliding window of recent steps. */
class RateWindow {
  private readonly points: { step: number; time: number }[] = [];

  constructor(private readonly size: number) {}

  add(step: number, time: number): void {
    this.points.push({ step, time });
    if (this.points.length > this.size) this.points.shift();
  }

  stepsPerSecond(): number {
    const first = this.points[0];
    const last = this.points.at(-1);
    if (!first || !last || last.time <= first.time) return NaN;
    return ((last.step - first.step) * 1000) / (last.time - first.time);
  }
}

export class ProgressReporter {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly rate = new RateWindow(20);
  private bar: cliProgress.SingleBar | undefined;
  private lastRecord: StepRecord | undefined;
  private lastPrintedStep = -1;

  constructor(private readonly options: ProgressReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.tty = (options.tty ?? Boolean(this.stream.isTTY)) && options.totalSteps !== undefined;
    this.rate.add(options.startStep ?? 0, this.now());
  }

  /** Steps per second over the recent window (NaN before two steps). */
  stepsPerSecond(): number {
    return this.rate.stepsPerSecond();
  }

  /** Seconds left at the current rate (NaN when unknown). */
  etaSeconds(step: number): number {
    const total = this.options.totalSteps;
    if (total === undefined) return NaN;
    return (total - step) / this.stepsPerSecond();
  }

  /** The plain-text line for a step. */
  formatStep(record: StepRecord): string {
    const total = this.options.totalSteps;
    const parts = [
      this.options.label ? `[${this.options.label}]` : '',
      total !== undefined
        ? `step ${record.step}/${total} (${((100 * record.step) / total).toFixed(1)}%)`
        : `step ${record.step}`,
      `epoch ${record.epoch}`,
      `loss ${fixed(record.loss, 4)}`,
      record.metric !== undefined
        ? `${this.options.metricName ?? 'acc'} ${fixed(record.metric, 4)}`
        : '',
      `lr ${fixed(record.lr, 5)}`,
      `|g| ${fixed(record.gradNorm, 3)}`,
    ];
    const rate = this.stepsPerSecond();
    if (Number.isFinite(rate)) {
      parts.push(`${rate.toFixed(2)} step/s`, `${(rate * record.examples).toFixed(1)} ex/s`);
      if (total !== undefined) parts.push(`ETA ${formatDuration(this.etaSeconds(record.step))}`);
    }
    return parts.filter(Boolean).join(' ');
  }

  update(record: StepRecord): void {
    this.rate.add(record.step, this.now());
    this.lastRecord = record;
    if (this.tty) {
      this.drawBar(record);
      return;
    }
    const every = this.options.everySteps ?? 10;
    const isLast = record.step === this.options.totalSteps;
    if (this.lastPrintedStep < 0 || record.step % every === 0 || isLast) {
      this.stream.write(this.formatStep(record) + '\n');
      this.lastPrintedStep = record.step;
    }
  }

  /** Prints an epoch summary line (above the bar on a TTY). */
  epoch(record: EpochRecord): void {
    const metric =
      record.metric !== undefined
        ? ` ${this.options.metricName ?? 'acc'} ${fixed(record.metric, 4)}`
        : '';
    this.line(
      `epoch ${record.epoch} done: ${record.steps} steps, loss ${fixed(record.loss, 4)}${metric}, ${record.examples} examples`,
    );
  }

  /** Prints a line without breaking the bar. */
  line(text: string): void {
    const prefixed = this.options.label ? `[${this.options.label}] ${text}` : text;
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
      this.stream.write(prefixed + '\n');
      if (this.lastRecord) this.drawBar(this.lastRecord);
    } else {
      this.stream.write(prefixed + '\n');
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private drawBar(record: StepRecord): void {
    const rate = this.stepsPerSecond();
    const payload = {
      loss: fixed(record.loss, 4),
      metric:
        record.metric !== undefined
          ? ` ${this.options.metricName ?? 'acc'} ${fixed(record.metric, 4)}`
          : '',
      lr: fixed(record.lr, 5),
      rate: Number.isFinite(rate) ? rate.toFixed(2) : '?',
      remaining: formatDuration(this.etaSeconds(record.step)),
      epoch: record.epoch,
    };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          // cli-progress only needs write/isTTY/columns of a stream
          stream: this.stream as NodeJS.WritableStream,
          format:
            `${this.options.label ? `[${this.options.label}] ` : ''}{bar} {value}/{total} | epoch {epoch} | ` +
            'loss {loss}{metric} | lr {lr} | {rate} step/s | ETA {remaining}',
          hideCursor: false,
          clearOnComplete: false,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(this.options.totalSteps!, record.step, payload);
    } else {
      this.bar.update(record.step, payload);
    }
  }
}
