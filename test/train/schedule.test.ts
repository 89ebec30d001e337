import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineSchedule, scheduleFromConfig } from '../../src/train/schedule.ts';

describe('cosineSchedule', () => {
  it('base 0.1, total 100, no warm-up: hand-computed points', () => {
    const s = cosineSchedule({ baseLr: 0.1, totalSteps: 100 });
    expect(s.lrAt(0)).toBeCloseTo(0.1, 12);
    expect(s.lrAt(50)).toBeCloseTo(0.05, 12); // 0.1 * 0.5 * (1 + cos(pi/2))
    expect(s.lrAt(25)).toBeCloseTo(0.1 * 0.5 * (1 + Math.SQRT1_2), 12); // cos(pi/4)
    expect(s.lrAt(100)).toBeCloseTo(0, 12);
    expect(s.lrAt(150)).toBeCloseTo(0, 12); // held after the end
  });

  it('base 0.4, total 10, warm-up 2 from 0, final 0.04: linear ramp to cosine(2)', () => {
    const s = cosineSchedule({ baseLr: 0.4, totalSteps: 10, warmupSteps: 2, finalLr: 0.04 });
    // cosine(2) = 0.04 + 0.36 * 0.5 * (1 + cos(0.2 pi)) = 0.04 + 0.18 * 1.809017 = 0.365623
    const atWarmupEnd = 0.04 + 0.18 * (1 + 0.8090169943749475);
    expect(s.lrAt(0)).toBe(0);
    expect(s.lrAt(1)).toBeCloseTo(atWarmupEnd / 2, 12);
    expect(s.lrAt(2)).toBeCloseTo(atWarmupEnd, 12);
    expect(s.lrAt(2)).toBeCloseTo(0.3656230589874906, 12);
    expect(s.lrAt(10)).toBeCloseTo(0.04, 12);
  });

  it('warm-up start rate and a stored config round-trip', () => {
    const s = cosineSchedule({ baseLr: 1, totalSteps: 4, warmupSteps: 4, warmupStartLr: 0.2 });
    // target = cosine(4) = 0 (end of the run); ramp 0.2 -> 0
    expect(s.lrAt(2)).toBeCloseTo(0.1, 12);
    const again = scheduleFromConfig(JSON.parse(JSON.stringify(s.config)));
    for (let step = 0; step < 6; step++) expect(again.lrAt(step)).toBe(s.lrAt(step));
  });

  it('constant schedule and errors', () => {
    expect(constantSchedule(0.3).lrAt(1000)).toBe(0.3);
    expect(() => cosineSchedule({ baseLr: 0.1, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => cosineSchedule({ baseLr: 0.1, totalSteps: 5, warmupSteps: 6 })).toThrow(
      /warmupSteps/,
    );
    expect(() => scheduleFromConfig({ kind: 'step' } as never)).toThrow(/cosine\|constant/);
  });
});
