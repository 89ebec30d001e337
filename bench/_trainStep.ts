/**
 * The train bench's network step alone (bench/train.ts's timeTraining on the published genome),
 * in this process, for bench/compare_train_step.sh: prints one JSON line (best and median wall ms,
 * median CPU ms per step). `node --import tsx bench/_trainStep.ts [STEPS=7]`, 1 wasm thread.
 */
import { readGenome, selectBackend } from '../src/index.ts';
import { GENOME_FILE, timeTraining } from './train.ts';

const steps = Number(process.argv[2] ?? 7);
await selectBackend('wasm', { threads: 1 });
const timing = timeTraining(await readGenome(GENOME_FILE), '2plus1d', steps);
process.stdout.write(`${JSON.stringify({ steps, ...timing })}\n`);
