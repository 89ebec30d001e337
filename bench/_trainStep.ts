/**
 * The train bench's network step alone, timed STEPS times after two warm-up steps in this
 * process, for bench/compare_train_step.sh: prints one JSON line (median and best CPU and wall
 * ms per step). `node --import tsx bench/_trainStep.ts [STEPS=7]`, 1 wasm thread.
 */
import { performance } from 'node:perf_hooks';
import {
  SgdMomentum,
  createAssembleNet,
  readGenome,
  selectBackend,
  softmaxCrossEntropy,
  tf,
} from '../src/index.ts';

const steps = Number(process.argv[2] ?? 7);
await selectBackend('wasm', { threads: 1 });
const genome = await readGenome(
  new URL('../evolution/assemblenet-50.json', import.meta.url).pathname,
);
const network = createAssembleNet(genome, {
  numClasses: 10,
  frames: 8,
  widthMultiplier: 0.25,
  modulesPerLevel: [1, 1, 1, 1],
  temporalModules: 'even',
  seed: 1,
  conv: '2plus1d',
});
const optimizer = new SgdMomentum({
  learningRate: 0.01,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
});
const rgb = tf.randomUniform([32, 64, 64, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
const flow = tf.randomUniform([32, 64, 64, 2], -1, 1, 'float32', 2) as tf.Tensor4D;
const labels = tf.tensor1d([0, 3, 5, 9], 'int32');
const step = () => {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => softmaxCrossEntropy(network.apply({ rgb, flow }, true), labels) as tf.Scalar,
      network.trainableVariables,
    );
    optimizer.applyGradients(grads);
    return value;
  });
  loss.dataSync();
  loss.dispose();
};
step();
step();
const walls: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < steps; i++) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  step();
  walls.push(performance.now() - wall0);
  const cpu = process.cpuUsage(cpu0);
  cpus.push((cpu.user + cpu.system) / 1000);
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
process.stdout.write(
  `${JSON.stringify({ steps, cpu_median_ms: median(cpus), cpu_best_ms: Math.min(...cpus), wall_median_ms: median(walls), wall_best_ms: Math.min(...walls) })}\n`,
);
