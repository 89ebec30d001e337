/**
 * The distillation experiments of docs/results.md (core: pipelines/jobs/distillExperiments.ts):
 * AKD vs conventional NAS + KD (akd) and RGB-only students with none / logit KD / feature KD
 * (rgb); several seeds, the teacher's outputs cached once.
 *
 *   node --import tsx pipelines/experiments/distill.ts --teacher DIR --dataset MANIFEST \
 *     [--experiments akd,rgb] [--seeds 1,2,3] [--out runs/distill-exp] [--epochs 6] \
 *     [--budget 4] [--search-epochs 2] [--latency-target 30ms] [--space FILE] [--rgb-only] \
 *     [--student evolution/students/mobile-rgb.json] [--student-shape teacher|file] \
 *     [--feature-weight 1] [--workers 2] [--results docs/results/distill-NAME.json]
 *
 * Resumable: finished runs (OUT/runs/<id>.json) are skipped, a search killed midway continues
 * from its journal. Prints the markdown tables; the records are in OUT/results.json.
 */
import { parseArgs } from 'node:util';
import {
  ClipPool,
  defaultCacheDir,
  parseLatency,
  readStudent,
  selectBackend,
} from '../../src/index.ts';
import { readManifest } from '../../datasets/index.ts';
import {
  formatExperimentTables,
  runDistillExperiments,
  type ExperimentName,
} from '../jobs/distillExperiments.ts';

const { values } = parseArgs({
  options: {
    teacher: { type: 'string' },
    dataset: { type: 'string' },
    classes: { type: 'string' },
    experiments: { type: 'string', default: 'akd,rgb' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'runs/distill-exp' },
    'latency-target': { type: 'string', default: '30ms' },
    budget: { type: 'string', default: '4' },
    epochs: { type: 'string', default: '6' },
    'search-epochs': { type: 'string', default: '2' },
    student: { type: 'string', default: 'evolution/students/mobile-rgb.json' },
    'student-shape': { type: 'string', default: 'teacher' },
    space: { type: 'string' },
    'rgb-only': { type: 'boolean', default: false },
    'feature-weight': { type: 'string' },
    workers: { type: 'string', default: '2' },
    'cache-dir': { type: 'string' },
    results: { type: 'string' },
  },
});
const fail = (message: string): never => {
  process.stderr.write(`distill experiments: ${message}\n`);
  process.exit(2);
};
if (!values.teacher || !values.dataset) fail('expected --teacher DIR and --dataset MANIFEST');
const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    fail(`expected --${name} to be an integer >= 1, got "${text}"`);
  return value;
};
const shape = values['student-shape'];
if (shape !== 'teacher' && shape !== 'file')
  fail(`expected --student-shape teacher or file, got "${shape}"`);
const experiments = values.experiments!.split(',').map((name) => name.trim());
for (const name of experiments)
  if (name !== 'akd' && name !== 'rgb') fail(`expected --experiments from akd,rgb, got "${name}"`);
const backend = await selectBackend('wasm');
process.env.ASSEMBLENET_BACKEND = backend.chosen;
const { manifest } = readManifest(
  values.dataset!,
  values.classes ? { classes: values.classes } : {},
);
const pool = new ClipPool({ workers: positive('workers', values.workers!) });
const started = Date.now();
try {
  const result = await runDistillExperiments({
    teacher: values.teacher!,
    manifest,
    out: values.out!,
    cacheDir: values['cache-dir'] ?? defaultCacheDir(),
    pool,
    experiments: experiments as ExperimentName[],
    seeds: values.seeds!.split(',').map((seed) => Number.parseInt(seed, 10)),
    epochs: positive('epochs', values.epochs!),
    budget: positive('budget', values.budget!),
    searchEpochs: positive('search-epochs', values['search-epochs']!),
    latencyTarget: parseLatency(values['latency-target']!),
    studentShape: shape as 'teacher' | 'file',
    rgbOnly: values['rgb-only']!,
    workers: positive('workers', values.workers!),
    student: readStudent(values.student!),
    ...(values.space ? { space: values.space } : {}),
    ...(values['feature-weight'] ? { featureWeight: Number(values['feature-weight']) } : {}),
    ...(values.results ? { resultsCopy: values.results } : {}),
  });
  process.stdout.write(`${formatExperimentTables(result.runs)}\n`);
  process.stderr.write(
    `distill experiments: ${result.runs.length} runs in ${((Date.now() - started) / 60000).toFixed(1)} min; ${result.resultsFile}\n`,
  );
} finally {
  await pool.destroy();
}
