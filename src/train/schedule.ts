/**
 * Learning-rate schedules as pure functions of the global step, so a resumed run gets the same
 * rate from the step number alone. Configs are plain JSON and are stored in checkpoints.
 */
import { InputError } from '../errors.ts';

export interface CosineScheduleConfig {
  kind: 'cosine';
  /** Peak rate, reached at the end of warm-up. */
  baseLr: number;
  /** Steps of the whole run; the cosine reaches `finalLr` here and stays there. */
  totalSteps: number;
  /** Linear warm-up steps (0 = none). */
  warmupSteps?: number;
  /** Rate at step 0 of the warm-up. */
  warmupStartLr?: number;
  /** Rate at the end of the cosine (TF's `alpha * baseLr`). */
  finalLr?: number;
}

export interface ConstantScheduleConfig {
  kind: 'constant';
  lr: number;
}

export type ScheduleConfig = CosineScheduleConfig | ConstantScheduleConfig;

export interface LrSchedule {
  readonly config: ScheduleConfig;
  /** Learning rate for the update made at `step` (0-based). */
  lrAt(step: number): number;
}

function checkNumber(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new InputError(`schedule: expected ${name} >= ${min}, got ${value}`);
  }
}

/**
 * Cosine decay with linear warm-up, as TF Model Garden composes them (`LinearWarmup` over
 * `CosineDecay`, the AssembleNet recipe):
 *
 *   cosine(s)  = finalLr + (baseLr - finalLr) * 0.5 * (1 + cos(pi * min(s, total) / total))
 *   lrAt(s)    = warmupStartLr + (cosine(warmup) - warmupStartLr) * s / warmup   for s < warmup
 *              = cosine(s)                                                    otherwise
 *
 * The cosine is measured from step 0 (not from the end of warm-up), and warm-up ramps to the
 * cosine's value at `warmup`, so the curve is continuous.
 */
export function cosineSchedule(options: Omit<CosineScheduleConfig, 'kind'>): LrSchedule {
  const config: CosineScheduleConfig = {
    kind: 'cosine',
    baseLr: options.baseLr,
    totalSteps: options.totalSteps,
    warmupSteps: options.warmupSteps ?? 0,
    warmupStartLr: options.warmupStartLr ?? 0,
    finalLr: options.finalLr ?? 0,
  };
  const { baseLr, totalSteps } = config;
  const warmup = config.warmupSteps!;
  const warmupStart = config.warmupStartLr!;
  const finalLr = config.finalLr!;
  checkNumber('baseLr', baseLr, 0);
  checkNumber('totalSteps', totalSteps, 1);
  checkNumber('warmupSteps', warmup, 0);
  checkNumber('warmupStartLr', warmupStart, 0);
  checkNumber('finalLr', finalLr, 0);
  if (warmup > totalSteps) {
    throw new InputError(
      `schedule: expected warmupSteps <= totalSteps (${totalSteps}), got ${warmup}`,
    );
  }
  const cosine = (step: number) => {
    const progress = Math.min(step, totalSteps) / totalSteps;
    return finalLr + (baseLr - finalLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
  const warmupTarget = cosine(warmup);
  return {
    config,
    lrAt(step: number): number {
      if (!(step >= 0)) throw new InputError(`schedule: expected step >= 0, got ${step}`);
      if (step < warmup) return warmupStart + ((warmupTarget - warmupStart) * step) / warmup;
      return cosine(step);
    },
  };
}

export function constantSchedule(lr: number): LrSchedule {
  checkNumber('lr', lr, 0);
  const config: ConstantScheduleConfig = { kind: 'constant', lr };
  return { config, lrAt: () => lr };
}

/** Rebuilds a schedule from its stored config (e.g. `checkpoint.json`). */
export function scheduleFromConfig(config: ScheduleConfig): LrSchedule {
  switch (config?.kind) {
    case 'cosine':
      return cosineSchedule(config);
    case 'constant':
      return constantSchedule(config.lr);
    default:
      throw new InputError(
        `schedule: expected kind cosine|constant, got ${JSON.stringify(config)}`,
      );
  }
}
