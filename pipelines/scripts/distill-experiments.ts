/**
 * The distillation experiments of the README (pipelines/jobs/distillExperiments.ts): KD vs no KD
 * on one fixed student (A), searched vs hand-picked student of similar latency (B), RGB-only
 * students vs the two-stream teacher end to end (C); several seeds, teacher logits cached once.
 *
 *   node --import tsx pipelines/scripts/distill-experiments.ts --teacher DIR --dataset MANIFEST \
 *     [--seeds 1,2,3] [--out runs/distill-exp] [--latency-target 30ms] [--budget 4] [--epochs 3] \
 *     [--search-epochs 1] [--student FILE] [--student-shape teacher|file] [--space FILE] \
 *     [--alpha 0.5] [--temperature 4] [--workers 2] [--cache-dir DIR] [--classes FILE]
 *
 * Resumable: finished runs (OUT/runs/<id>.json) are skipped. Prints the markdown tables, also in
 * OUT/tables.md; every record is in OUT/results.json.
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
import { runDistillExperiments } from '../jobs/distillExperiments.ts';

const { values } = parseArgs({
  options: {
    teacher: { type: 'string' },
    dataset: { type: 'string' },
    classes: { type: 'string' },
    seeds: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: 'runs/distill-exp' },
    'latency-target': { type: 'string', default: '30ms' },
    budget: { type: 'string', default: '4' },
    epochs: { type: 'string', default: '3' },
    'search-epochs': { type: 'string', default: '1' },
    student: { type: 'string' },
    'student-shape': { type: 'string', default: 'teacher' },
    space: { type: 'string' },
    alpha: { type: 'string', default: '0.5' },
    temperature: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    'cache-dir': { type: 'string' },
  },
});
if (!values.teacher || !values.dataset)
  throw new Error('distill-experiments: expected --teacher DIR and --dataset MANIFEST');
const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`distill-experiments: expected --${name} to be an integer >= 1, got "${text}"`);
  return value;
};
const shape = values['student-shape'];
if (shape !== 'teacher' && shape !== 'file')
  throw new Error(`distill-experiments: expected --student-shape teacher or file, got "${shape}"`);
const backend = await selectBackend('wasm');
process.env.ASSEMBLENET_BACKEND = backend.chosen;
const { manifest } = readManifest(
  values.dataset,
  values.classes ? { classes: values.classes } : {},
);
const pool = new ClipPool({ workers: positive('workers', values.workers!) });
const started = Date.now();
try {
  const result = await runDistillExperiments({
    teacher: values.teacher,
    manifest,
    out: values.out!,
    cacheDir: values['cache-dir'] ?? defaultCacheDir(),
    pool,
    seeds: values.seeds!.split(',').map((seed) => Number.parseInt(seed, 10)),
    epochs: positive('epochs', values.epochs!),
    budget: positive('budget', values.budget!),
    searchEpochs: positive('search-epochs', values['search-epochs']!),
    latencyTarget: parseLatency(values['latency-target']!),
    studentShape: shape,
    alpha: Number(values.alpha),
    temperature: Number(values.temperature),
    ...(values.student ? { student: readStudent(values.student) } : {}),
    ...(values.space ? { space: values.space } : {}),
  });
  process.stdout.write(`${result.tables}\n`);
  process.stderr.write(
    `distill-experiments: ${result.runs.length} runs in ${((Date.now() - started) / 60000).toFixed(1)} min; ${result.tablesFile}, ${result.resultsFile}\n`,
  );
} finally {
  await pool.destroy();
}
