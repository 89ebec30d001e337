/**
 * One training step of the scaled AssembleNet-50 on wasm: the network built on the project's
 * 4-D ops (conv2d views, the project's gradients and kernels) against the same network built
 * with `conv: 'conv3d'` (tf.conv3d on [B,T,H,W,C]), same backend, same run, same weights.
 *
 * `npm run bench -- train [--json] [--steps N] [--baseline-steps N]`
 *
 * Network: evolution/assemblenet-50.json, width 0.25, modules 1,1,1,1 (temporal conv in module 0,
 * as the train job builds it), 10 classes. Batch 4 clips of 8 frames, 64x64, random rgb [-1,1]
 * and flow [-1,1]. Step: forward (training BN), softmax cross-entropy, gradients of every
 * trainable variable, SgdMomentum update, wait for the loss. conv3d's gradient refuses a
 * temporal dilation > 1 on this tfjs: when it does, both sides are timed again on a copy of the
 * genome with every dilation set to 1 (the output says so) and the ratio comes from that pair.
 * Times: best wall time of N steps after one warm-up step; clips/s = batch / best step time.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  SgdMomentum,
  backendReport,
  createAssembleNet,
  isStem,
  readGenome,
  selectBackend,
  softmaxCrossEntropy,
  tf,
  type AssembleNetwork,
  type Genome,
  type NetworkOptions,
} from '../src/index.ts';

const BATCH = 4;
const FRAMES = 8;
const SIZE = 64;
const CLASSES = 10;
const GENOME_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'evolution',
  'assemblenet-50.json',
);

interface Timing {
  best_ms: number;
  median_ms: number;
  cpu_ms: number;
}

const numberArg = (args: string[], name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

function options(conv: NetworkOptions['conv']): NetworkOptions {
  return {
    numClasses: CLASSES,
    frames: FRAMES,
    widthMultiplier: 0.25,
    modulesPerLevel: [1, 1, 1, 1],
    temporalModules: 'even',
    seed: 1,
    conv,
  };
}

function withUnitDilations(genome: Genome): Genome {
  return {
    ...genome,
    name: `${genome.name}-dilation1`,
    nodes: genome.nodes.map((node) =>
      isStem(node) ? { ...node, temporal: 1 } : { ...node, inputs: [...node.inputs], dilation: 1 },
    ),
  };
}

function makeInputs() {
  const rgb = tf.randomUniform([BATCH * FRAMES, SIZE, SIZE, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const flow = tf.randomUniform(
    [BATCH * FRAMES, SIZE, SIZE, 2],
    -1,
    1,
    'float32',
    2,
  ) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 3, 5, 9], 'int32');
  return { rgb, flow, labels };
}

/** Builds the network and times `steps` training steps after one warm-up step. */
function timeTraining(genome: Genome, conv: NetworkOptions['conv'], steps: number): Timing {
  const network: AssembleNetwork = createAssembleNet(genome, options(conv));
  const optimizer = new SgdMomentum({
    learningRate: 0.01,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
  });
  const { rgb, flow, labels } = makeInputs();
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
  try {
    step();
    const walls: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < steps; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      step();
      walls.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
    const sorted = [...walls].sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    return {
      best_ms: sorted[0]!,
      median_ms: sorted[Math.floor(sorted.length / 2)]!,
      cpu_ms: cpuTimes[Math.floor(cpuTimes.length / 2)]!,
    };
  } finally {
    optimizer.dispose();
    tf.dispose([rgb, flow, labels]);
    network.dispose();
  }
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const steps = numberArg(args, '--steps', 3);
  const baselineSteps = numberArg(args, '--baseline-steps', 2);
  await selectBackend('wasm');
  const threads = backendReport()?.threads ?? 1;
  const genome = readGenome(GENOME_FILE);
  const notes: string[] = [];

  const projectOfficial = timeTraining(genome, '2plus1d', steps);
  let compared = genome;
  let baseline: Timing;
  try {
    baseline = timeTraining(genome, 'conv3d', baselineSteps);
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.split('\n')[0]!.slice(0, 120) : String(error);
    notes.push(
      `conv3d failed on the published dilations ("${reason}"): both sides compared on a copy with every temporal dilation set to 1`,
    );
    compared = withUnitDilations(genome);
    baseline = timeTraining(compared, 'conv3d', baselineSteps);
  }
  const project = compared === genome ? projectOfficial : timeTraining(compared, '2plus1d', steps);
  const ratio = baseline.best_ms / project.best_ms;
  const clipsPerSecond = (ms: number) => (1000 * BATCH) / ms;
  const shapes = `assemblenet-50 width 0.25 modules 1,1,1,1, batch ${BATCH} x ${FRAMES} frames x ${SIZE}x${SIZE}, rgb [${BATCH * FRAMES},${SIZE},${SIZE},3] + flow [${BATCH * FRAMES},${SIZE},${SIZE},2], ${CLASSES} classes`;
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const lines = [
    `train: one training step (forward, loss, gradients of all variables, SGD momentum) on wasm, ${threads} thread(s), ${cpuModel}, load ${loadavg()[0]!.toFixed(1)}`,
    `  ${shapes}`,
    `  project (4-D ops), published dilations: ${projectOfficial.best_ms.toFixed(0)} ms/step, ${clipsPerSecond(projectOfficial.best_ms).toFixed(2)} clips/s`,
    ...(compared !== genome
      ? [
          `  project (4-D ops), dilations 1:          ${project.best_ms.toFixed(0)} ms/step, ${clipsPerSecond(project.best_ms).toFixed(2)} clips/s`,
        ]
      : []),
    `  baseline (tf.conv3d)${compared !== genome ? ', dilations 1' : ''}:        ${baseline.best_ms.toFixed(0)} ms/step, ${clipsPerSecond(baseline.best_ms).toFixed(2)} clips/s`,
    `  ratio (conv3d time / project time): ${ratio.toFixed(2)}x; cpu per step: project ${project.cpu_ms.toFixed(0)} ms, conv3d ${baseline.cpu_ms.toFixed(0)} ms`,
    ...notes.map((note) => `  note: ${note}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train',
        ratio: round(ratio, 2),
        project_ms: round(project.best_ms),
        baseline_ms: round(baseline.best_ms),
        baseline: `same network with conv: 'conv3d' (tf.conv3d, wasm, same run)${compared !== genome ? ', both at temporal dilation 1' : ''}`,
        shapes,
        project_clips_per_s: round(clipsPerSecond(project.best_ms), 2),
        baseline_clips_per_s: round(clipsPerSecond(baseline.best_ms), 2),
        project_official_ms: round(projectOfficial.best_ms),
        project_cpu_ms: round(project.cpu_ms),
        baseline_cpu_ms: round(baseline.cpu_ms),
        steps,
        baseline_steps: baselineSteps,
        threads,
        cpu: cpuModel,
        cores: cpus().length,
        load: round(loadavg()[0]!, 1),
        node: process.version,
        tfjs: tf.version.tfjs,
        notes,
      })}\n`,
    );
  }
}
