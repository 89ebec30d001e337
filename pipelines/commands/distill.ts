import { relative } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  ClipPool,
  defaultCacheDir,
  describeError,
  parseLatency,
  selectBackend,
} from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import {
  DEFAULT_STUDENT_SPACE,
  DISTILL_DEFAULTS,
  formatDistillTable,
  runDistillJob,
} from '../jobs/distill.ts';
import { backendOption, positiveInt, type BackendFlag } from '../options.ts';
import { writeJsonLine } from '../output.ts';
import { RUN_CONFIG_DEFAULTS } from '../../src/networks/runConfig.ts';

interface DistillFlags extends BackendFlag {
  teacher: string;
  dataset: string;
  classes?: string;
  out: string;
  latencyTarget: number;
  w: number;
  budget: number;
  rgbOnly?: boolean;
  space?: string;
  epochs: number;
  finalEpochs?: number;
  alpha: number;
  temperature: number;
  seed: number;
  searchLoss: 'kd' | 'hard';
  featureWeight: number;
  latencyCeiling: number;
  resume?: boolean;
  cacheDir?: string;
  workers?: number;
  json?: boolean;
  report?: boolean;
}

function numberIn(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(
        `${name}: expected a number in [${min}, ${max}], got "${value}"`,
      );
    return parsed;
  };
}

function latencyFlag(value: string): number {
  try {
    return parseLatency(value);
  } catch (error) {
    throw new InvalidArgumentError(describeError(error));
  }
}

export function registerDistill(program: Command): void {
  program
    .command('distill')
    .description(
      'distill a trained teacher into a searched, latency-aware student (KD from cached teacher logits); saves its checkpoint and a comparison table',
    )
    .requiredOption(
      '--teacher <dir>',
      'teacher checkpoint: a step-* folder, a folder of them, or a train --out folder',
    )
    .requiredOption(
      '--dataset <manifest>',
      "dataset manifest (the teacher's classes): Kinetics/Charades CSV, folder per class, or a list",
    )
    .requiredOption(
      '--out <dir>',
      'output folder: teacher-logits/, student/checkpoints/, family/, distill.json',
    )
    .option('--classes <file>', 'class list (Charades: c000 name per line)')
    .option(
      '--latency-target <duration>',
      'target latency of one clip (batch 1, with flow when the student reads it), e.g. 30ms',
      latencyFlag,
      DISTILL_DEFAULTS.latencyTargetMs,
    )
    .option(
      '--latency-ceiling <x>',
      'candidates measured slower than x times the target are recorded as skipped, not trained',
      numberIn('--latency-ceiling', 1, 1e6),
      DISTILL_DEFAULTS.latencyCeiling,
    )
    .option(
      '--w <exponent>',
      'MnasNet reward exponent: accuracy x (latency / target)^w',
      numberIn('--w', -10, 0),
      DISTILL_DEFAULTS.w,
    )
    .option(
      '--budget <n>',
      'students trained by the search (each in its own process; skipped ones do not count)',
      positiveInt('--budget'),
      DISTILL_DEFAULTS.budget,
    )
    .option('--rgb-only', 'search RGB-only students (no optical flow cost)')
    .option(
      '--space <file>',
      `student search space JSON (default: ${relative(process.cwd(), DEFAULT_STUDENT_SPACE)} at the teacher's frames and resolution)`,
    )
    .option(
      '--epochs <n>',
      'epochs of each searched student',
      positiveInt('--epochs'),
      DISTILL_DEFAULTS.searchEpochs,
    )
    .option(
      '--search-loss <kind>',
      'how candidates are trained for the reward: kd (AKD, KD-guided) or hard (labels only; KD for the chosen student)',
      (value: string) => {
        if (value !== 'kd' && value !== 'hard')
          throw new InvalidArgumentError(`--search-loss: expected kd or hard, got "${value}"`);
        return value;
      },
      DISTILL_DEFAULTS.searchLoss,
    )
    .option(
      '--feature-weight <b>',
      "weight of feature distillation in the chosen student's training (its features regress the teacher's; 0 = off)",
      numberIn('--feature-weight', 0, 1e6),
      DISTILL_DEFAULTS.featureWeight,
    )
    .option(
      '--resume',
      'continue the search journaled in --out (finished candidates are not trained again)',
    )
    .option(
      '--final-epochs <n>',
      "KD epochs of the chosen student (default: the teacher's training epochs)",
      positiveInt('--final-epochs'),
    )
    .option(
      '--alpha <a>',
      'weight of the hard-label loss; 1 - alpha goes to the soft (teacher) term',
      numberIn('--alpha', 0, 1),
      DISTILL_DEFAULTS.alpha,
    )
    .option(
      '--temperature <t>',
      'KD softening temperature',
      numberIn('--temperature', 1e-6, 1e6),
      DISTILL_DEFAULTS.temperature,
    )
    .option(
      '--seed <n>',
      'search and training seed',
      (value: string) => Number.parseInt(value, 10),
      RUN_CONFIG_DEFAULTS.seed,
    )
    .option('--cache-dir <dir>', `clip cache (default: ${defaultCacheDir()})`)
    .option(
      '--workers <n>',
      "decode/flow worker threads of the job's pool and of each candidate's (default: the number of cores)",
      positiveInt('--workers'),
    )
    .option('--json', 'end with one JSON object on the last line')
    .option(
      '--report',
      'write report.html (latency vs accuracy, Pareto front) into --out and print its path',
    )
    .addOption(backendOption())
    .action(async (flags: DistillFlags) => {
      const backend = await selectBackend(flags.backend);
      const { manifest } = readManifest(
        flags.dataset,
        flags.classes ? { classes: flags.classes } : {},
      );
      process.stderr.write(
        `distill: teacher ${flags.teacher} on ${flags.dataset} (${manifest.items.length} videos), budget ${flags.budget}, target ${flags.latencyTarget} ms, backend ${backend.chosen}\n`,
      );
      const pool = new ClipPool(flags.workers ? { workers: flags.workers } : {});
      try {
        const result = await runDistillJob({
          teacher: flags.teacher,
          manifest,
          out: flags.out,
          cacheDir: flags.cacheDir ?? defaultCacheDir(),
          pool,
          budget: flags.budget,
          latencyTarget: flags.latencyTarget,
          w: flags.w,
          rgbOnly: Boolean(flags.rgbOnly),
          ...(flags.space ? { space: flags.space } : {}),
          epochs: flags.epochs,
          ...(flags.finalEpochs ? { finalEpochs: flags.finalEpochs } : {}),
          alpha: flags.alpha,
          temperature: flags.temperature,
          seed: flags.seed,
          searchLoss: flags.searchLoss,
          featureWeight: flags.featureWeight,
          latencyCeiling: flags.latencyCeiling,
          resume: Boolean(flags.resume),
          ...(flags.workers ? { workers: flags.workers } : {}),
        });
        process.stdout.write(`${formatDistillTable(result)}\n`);
        process.stdout.write(
          `student checkpoint ${result.chosen.checkpoint}; architecture ${result.chosen.archFile}; table ${flags.out}/distill.json\n`,
        );
        if (flags.report) {
          const { writeReport, commandMeta } = await import('../report/index.ts');
          process.stdout.write(
            `report: ${await writeReport(flags.out, commandMeta(backend.chosen, flags.dataset))}\n`,
          );
        }
        if (flags.json) {
          writeJsonLine({
            checkpoint: result.chosen.checkpoint,
            student: result.chosen.hash,
            latency_ms: result.chosen.latencyMs,
            target_ms: result.target,
            meets_target: result.chosen.meetsTarget,
            teacher_logits: result.teacherLogits,
            table: result.table,
            seconds: result.seconds,
          });
        }
      } finally {
        await pool.destroy();
      }
    });
}
