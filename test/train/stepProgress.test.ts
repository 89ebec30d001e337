import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsLog, readJsonl } from '../../src/train/metricsLog.ts';
import { ProgressReporter, formatDuration } from '../../src/train/stepProgress.ts';
import type { StepRecord } from '../../src/train/records.ts';

function stepRecord(step: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    kind: 'step',
    step,
    epoch: 0,
    batchInEpoch: step,
    loss: 1 / step,
    lr: 0.1,
    gradNorm: 2,
    examples: 8,
    stepMs: 500,
    ...extra,
  };
}

class FakeStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 160,
  ) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
  // cli-progress moves the cursor on TTYs
  cursorTo() {
    return true;
  }
  clearLine() {
    return true;
  }
  clearScreenDown() {
    return true;
  }
  moveCursor() {
    return true;
  }
}

describe('formatDuration', () => {
  it('formats seconds, minutes, hours', () => {
    expect(formatDuration(12.4)).toBe('12s');
    expect(formatDuration(248)).toBe('4m08s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('?');
  });
});

describe('ProgressReporter', () => {
  it('plain mode: a line on the first step, every N, and the last; rate and ETA from the clock', () => {
    const stream = new FakeStream(false);
    let clock = 0;
    const reporter = new ProgressReporter({
      totalSteps: 20,
      stream,
      everySteps: 5,
      now: () => clock,
      label: 'run1',
    });
    for (let step = 1; step <= 20; step++) {
      clock += 500; // 2 steps/s
      reporter.update(stepRecord(step, { metric: 0.25 }));
    }
    const lines = stream.text.trim().split('\n');
    expect(lines.map((l) => /step (\d+)\//.exec(l)![1])).toEqual(['1', '5', '10', '15', '20']);
    expect(lines[2]).toBe(
      '[run1] step 10/20 (50.0%) epoch 0 loss 0.1000 acc 0.2500 lr 0.10000 |g| 2.000 2.00 step/s 16.0 ex/s ETA 5s',
    );
    expect(reporter.etaSeconds(10)).toBeCloseTo(5, 9);
  });

  it('resumed run: rate counts only steps since the restart', () => {
    let clock = 0;
    const reporter = new ProgressReporter({
      totalSteps: 100,
      startStep: 50,
      stream: new FakeStream(false),
      now: () => clock,
    });
    clock = 4000;
    reporter.update(stepRecord(52));
    expect(reporter.stepsPerSecond()).toBeCloseTo(0.5, 9);
    expect(reporter.etaSeconds(52)).toBeCloseTo(96, 9);
  });

  it('TTY mode draws a cli-progress bar with the payload and prints epoch lines', () => {
    const stream = new FakeStream(true);
    let clock = 0;
    const reporter = new ProgressReporter({ totalSteps: 4, stream, now: () => clock });
    for (let step = 1; step <= 4; step++) {
      clock += 1000;
      reporter.update(stepRecord(step));
    }
    reporter.epoch({ kind: 'epoch', epoch: 0, step: 4, steps: 4, loss: 0.5, examples: 32 });
    reporter.stop();
    expect(stream.text).toContain(
      '4/4 | epoch 0 | loss 0.2500 | lr 0.10000 | 1.00 step/s | ETA 0s',
    );
    expect(stream.text).toContain('epoch 0 done: 4 steps, loss 0.5000, 32 examples');
  });
});

describe('MetricsLog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anet-log-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one object per line and reads them back, skipping a torn last line', async () => {
    const log = new MetricsLog(join(dir, 'sub', 'metrics.jsonl'));
    log.append(stepRecord(1));
    log.append(stepRecord(2));
    log.append({ kind: 'epoch', epoch: 0, step: 2, loss: 0.7 });
    await appendFile(log.path, '{"kind":"step","st');
    const records = await readJsonl<{ kind: string; step: number; time: string }>(log.path);
    expect(records.map((r) => [r.kind, r.step])).toEqual([
      ['step', 1],
      ['step', 2],
      ['epoch', 2],
    ]);
    expect(Number.isNaN(Date.parse(records[0]!.time))).toBe(false);
  });

  it('truncateAfterStep drops records a resumed run will redo', async () => {
    const log = new MetricsLog(join(dir, 'resume.jsonl'));
    for (let step = 1; step <= 6; step++) log.append(stepRecord(step));
    log.append({ kind: 'note', text: 'no step field' });
    expect(await log.truncateAfterStep(3)).toBe(3);
    log.append(stepRecord(4));
    const records = await readJsonl<{ step?: number }>(log.path);
    expect(records.map((r) => r.step)).toEqual([1, 2, 3, undefined, 4]);
  });

  it('a bad line in the middle is an error with file:line', async () => {
    const path = join(dir, 'bad.jsonl');
    await appendFile(path, '{"a":1}\nnot json\n{"a":2}\n');
    await expect(readJsonl(path)).rejects.toThrow(/bad\.jsonl:2/);
  });
});
