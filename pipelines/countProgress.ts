/**
 * Progress of a job that counts units of work (clips, videos, evaluations): done/total, rate and
 * ETA. On a terminal, a cli-progress bar redrawn in place; otherwise (logs, CI, pipes) a plain
 * line now and then, never control characters.
 * Not src/train/stepProgress.ts: that one reports training steps (loss, metric, lr, per-step
 * rate); this one only counts, and only the applications use it.
 */
import { SingleBar } from 'cli-progress';
import { formatDuration } from '../src/index.ts';

export interface CountProgressOptions {
  /** What is running, e.g. "extract". */
  label: string;
  /** What is counted, e.g. "clips". */
  unit: string;
  total: number;
  /** Default process.stderr. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force the bar (true) or plain lines (false); default: the stream is a TTY. */
  tty?: boolean;
  /** Plain mode: seconds between lines (a line is also written at every 10%). Default 5. */
  lineIntervalSeconds?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface CountProgress {
  /** Adds `count` finished units; `item` names the last one (shown on the bar). */
  tick(count?: number, item?: string): void;
  /** Final line / bar state. */
  stop(): void;
  readonly done: number;
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  return perSecond >= 10
    ? perSecond.toFixed(0)
    : perSecond >= 1
      ? perSecond.toFixed(1)
      : perSecond.toFixed(2);
}

/** Rate and ETA from elapsed time, the whole run's average (stable for uneven work). */
export function progressStats(
  done: number,
  total: number,
  elapsedSeconds: number,
): { rate: number; etaSeconds: number } {
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const etaSeconds =
    done >= total ? 0 : rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
  return { rate, etaSeconds };
}

export function createCountProgress(options: CountProgressOptions): CountProgress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  const now = options.now ?? Date.now;
  const started = now();
  const total = options.total;
  let done = 0;
  let item = '';
  const stats = () => progressStats(done, total, (now() - started) / 1000);

  if (tty) {
    const bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      format: `${options.label} |{bar}| {value}/{total} ${options.unit} | {rate}/s | ETA {etaText} | {item}`,
      barsize: 30,
      hideCursor: true,
      etaBuffer: 50,
    });
    bar.start(total, 0, { rate: '0', etaText: '?', item: '' });
    return {
      get done() {
        return done;
      },
      tick(count = 1, name = '') {
        done += count;
        const { rate, etaSeconds } = stats();
        bar.update(done, {
          rate: formatRate(rate),
          etaText: formatDuration(etaSeconds),
          item: shorten(name, 40),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }

  const interval = (options.lineIntervalSeconds ?? 5) * 1000;
  let lastLineAt = started;
  let lastDecile = 0;
  const line = () => {
    const { rate, etaSeconds } = stats();
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    stream.write(
      `${options.label}: ${done}/${total} ${options.unit} (${percent}%), ${formatRate(rate)} ${options.unit}/s, ` +
        `ETA ${formatDuration(etaSeconds)}${item ? `, last: ${item}` : ''}\n`,
    );
  };
  return {
    get done() {
      return done;
    },
    tick(count = 1, name = '') {
      done += count;
      item = name;
      const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (decile > lastDecile || now() - lastLineAt >= interval) {
        lastDecile = decile;
        lastLineAt = now();
        line();
      }
    },
    stop() {
      if (done === 0 || lastLineAt === started) line();
    },
  };
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}
