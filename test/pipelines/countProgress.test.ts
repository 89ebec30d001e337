import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCountProgress, progressStats } from '../../pipelines/countProgress.ts';
import { formatDuration } from '../../src/index.ts';

function sink(tty: boolean): Writable & { text: () => string; isTTY?: boolean; columns?: number } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & {
    text: () => string;
    isTTY?: boolean;
    columns?: number;
    cursorTo?: unknown;
    clearLine?: unknown;
  };
  stream.text = () => chunks.join('');
  if (tty) {
    stream.isTTY = true;
    stream.columns = 120;
    stream.cursorTo = (_x: number, _y?: number, cb?: () => void) => (cb?.(), true);
    stream.clearLine = (_dir: number, cb?: () => void) => (cb?.(), true);
    (stream as unknown as { moveCursor: unknown }).moveCursor = (
      _x: number,
      _y: number,
      cb?: () => void,
    ) => (cb?.(), true);
  }
  return stream;
}

describe('progress display', () => {
  it('rate and ETA from elapsed time: 3 of 10 in 6 s -> 0.5/s, 14 s left', () => {
    expect(progressStats(3, 10, 6)).toEqual({ rate: 0.5, etaSeconds: 14 });
    expect(progressStats(10, 10, 6).etaSeconds).toBe(0);
    expect(progressStats(0, 10, 0).etaSeconds).toBe(Number.POSITIVE_INFINITY);
    expect([
      formatDuration(14),
      formatDuration(125),
      formatDuration(3 * 3600 + 61),
      formatDuration(Infinity),
    ]).toEqual(['14s', '2m05s', '3h01m', '?']);
  });

  it('plain lines (no TTY): one per 10% or interval, with done/total, rate, ETA; no control characters', () => {
    let clock = 0;
    const stream = sink(false);
    const progress = createCountProgress({
      label: 'extract',
      unit: 'clips',
      total: 10,
      stream,
      tty: false,
      now: () => clock,
    });
    for (let i = 1; i <= 10; i++) {
      clock += 2000;
      progress.tick(1, `video${i}`);
    }
    progress.stop();
    const lines = stream.text().trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[2]).toBe('extract: 3/10 clips (30%), 0.50 clips/s, ETA 14s, last: video3');
    expect(lines[9]).toContain('10/10 clips (100%)');
    expect(stream.text()).not.toContain('\u001b');
  });

  it('a bar on a TTY', () => {
    const stream = sink(true);
    const progress = createCountProgress({
      label: 'extract',
      unit: 'clips',
      total: 4,
      stream,
      tty: true,
    });
    progress.tick(1, 'a');
    progress.tick(1, 'b');
    progress.stop();
    expect(stream.text()).toMatch(/extract \|.*\| 2\/4 clips/);
  });
});
