/**
 * One training step of the scaled AssembleNet-50 on wasm: the network built on the project's
 * 4-D ops (conv2d views, the project's gradients and kernels) against the same network built
 * with `conv: 'conv3d'` (tf.conv3d on [B,T,H,W,C]), same backend, same run, same weights.
 *
 * `npm run bench -- train [--json] [--steps N] [--baseline-steps N] [--no-torch] [--profile]`
 *
 * Network: evolution/assemblenet-50.json, width 0.25, modules 1,1,1,1 (temporal conv in module 0,
 * as the train job builds it), 10 classes. Batch 4 clips of 8 frames, 64x64, random rgb [-1,1]
 * and flow [-1,1]. Step: forward (training BN), softmax cross-entropy, gradients of every
 * trainable variable, SgdMomentum update, wait for the loss. conv3d's gradient refuses a
 * temporal dilation > 1 on this tfjs: when it does, both sides are timed again on a copy of the
 * genome with every dilation set to 1 (the output says so) and the ratio comes from that pair.
 * Times: best wall time of N steps (default 10: on a noisy host 3 were too few to be steady) after
 * one warm-up step; clips/s = batch / best step time.
 * `--baseline-steps 0` skips the conv3d baseline (its steps take seconds).
 *
 * Peer: when Debian's python3-torch imports, bench/train_torch.py builds the same genome in
 * PyTorch (same widths, modules, dilations and frozen edge weights; its parameter count is checked
 * against the project's) and times the same step with the same thread count: `ratio_torch` =
 * torch time / project time on the published dilations (wall; `ratio_torch_cpu` on CPU time).
 * PyTorch runs the network twice, with nn.Conv3d's forward and with the same weights as F.conv2d
 * on 4-D views (the project's formulation); the faster is the peer (`torch_best`), both are kept.
 * --profile: one more project step with every kernel timed (src/engine/profile.ts).
 * --threads N: wasm threads (and torch's intra-op threads); `--threads 1,2` runs the bench once
 * per count, each in its own process (the wasm thread count is fixed per process), and prints
 * the speed-up of the project's step from the first count to each other one (`threads_speedup`).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  SgdMomentum,
  backendReport,
  countParameters,
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
import {
  formatProfile,
  profileKernels,
  summariseProfile,
  type KernelProfile,
} from '../src/engine/profile.ts';

const BATCH = 4;
const FRAMES = 8;
const SIZE = 64;
const CLASSES = 10;
const WIDTH = 0.25;
const MODULES = [1, 1, 1, 1] as const;
const PYTHON = '/usr/bin/python3';
export const GENOME_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'evolution',
  'assemblenet-50.json',
);

export interface Timing {
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
    widthMultiplier: WIDTH,
    modulesPerLevel: [...MODULES],
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

interface TorchTiming {
  wall_ms: number;
  cpu_ms: number;
}

/** wall_ms/cpu_ms: the faster formulation (`best`) of the two in `formulations`. */
interface TorchResult extends TorchTiming {
  torch: string;
  threads: number;
  best: 'conv3d' | 'views';
  formulations: { conv3d: TorchTiming; views: TorchTiming };
  parameters: number;
}

/** The same network step in PyTorch (bench/train_torch.py), or why it did not run. */
function runTorch(steps: number, threads: number): TorchResult | string {
  const check = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (check.status !== 0) return `torch not importable by ${PYTHON}`;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'train_torch.py');
  const config = {
    genome: GENOME_FILE,
    width: WIDTH,
    modules: MODULES,
    temporal_modules: options('2plus1d').temporalModules,
    frames: FRAMES,
    batch: BATCH,
    size: SIZE,
    classes: CLASSES,
    steps,
    threads,
  };
  const run = spawnSync(PYTHON, [script, JSON.stringify(config)], { encoding: 'utf8' });
  if (run.status !== 0) return `torch run failed: ${run.stderr.trim().split('\n').pop()}`;
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchResult;
}

/**
 * Builds the network and times `steps` training steps after one warm-up step; with `profile`,
 * one more step runs with every kernel timed.
 */
export function timeTraining(
  genome: Genome,
  conv: NetworkOptions['conv'],
  steps: number,
  profile?: (result: KernelProfile) => void,
): Timing {
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
    if (profile) profile(profileKernels(step).profile);
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

/** `--threads 1,2`: one child bench per count, then the speed-up between them. */
function compareThreads(args: string[], counts: number[]): void {
  const at = args.indexOf('--threads');
  const rest = args.filter((_, i) => i !== at && i !== at + 1 && args[i] !== '--json');
  const runner = join(dirname(fileURLToPath(import.meta.url)), 'run.mjs');
  const results = counts.map((threads) => {
    const child = spawnSync(
      process.execPath,
      [runner, 'train', ...rest, '--json', '--threads', String(threads)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = child.stdout.trim().split('\n');
    process.stdout.write(`${lines.slice(0, -1).join('\n')}\n`);
    if (child.status !== 0)
      throw new Error(`bench train --threads ${threads} failed (exit ${child.status})`);
    return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown> & {
      project_official_ms: number;
      project_official_cpu_ms: number;
      ratio_torch: number | null;
    };
  });
  const first = results[0]!;
  const speedups = results.map((r) => first.project_official_ms / r.project_official_ms);
  process.stdout.write(
    `train: step time by wasm threads: ${results.map((r, i) => `${counts[i]}: ${r.project_official_ms.toFixed(0)} ms (x${speedups[i]!.toFixed(2)}, ratio vs torch ${r.ratio_torch ?? '-'})`).join('; ')}\n`,
  );
  if (args.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train',
        threads: counts,
        threads_speedup: speedups.map((v) => round(v, 2)),
        ratio_torch: results.map((r) => r.ratio_torch),
        runs: results,
      })}\n`,
    );
  }
}

export async function main(args: string[]): Promise<void> {
  const threadsArg = args.includes('--threads') ? (args[args.indexOf('--threads') + 1] ?? '') : '';
  const counts = threadsArg.split(',').filter(Boolean).map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(
      `bench train: expected --threads N or N,M,... (integers >= 1), got "${threadsArg}"`,
    );
  }
  if (counts.length > 1) return compareThreads(args, counts);
  const json = args.includes('--json');
  const steps = numberArg(args, '--steps', 10);
  const baselineSteps = numberArg(args, '--baseline-steps', 2);
  const loadBefore = loadavg()[0]!;
  await selectBackend('wasm', counts.length === 1 ? { threads: counts[0] } : {});
  const threads = backendReport()?.threads ?? 1;
  const convs = backendReport()?.nativeConv ?? 'XNNPACK';
  const genome = readGenome(GENOME_FILE);
  const notes: string[] = [];
  let profile: KernelProfile | undefined;

  const projectOfficial = timeTraining(
    genome,
    '2plus1d',
    steps,
    args.includes('--profile') ? (result) => (profile = result) : undefined,
  );
  let compared = genome;
  let baseline: Timing | undefined;
  if (baselineSteps > 0) {
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
  } else notes.push('conv3d baseline skipped (--baseline-steps 0)');
  const project = compared === genome ? projectOfficial : timeTraining(compared, '2plus1d', steps);
  const ratio = baseline ? baseline.best_ms / project.best_ms : null;

  const torch = args.includes('--no-torch') ? 'skipped (--no-torch)' : runTorch(steps, threads);
  const projectParameters = countParameters(genome, { ...options('2plus1d') }).trainable;
  if (typeof torch === 'string') notes.push(`PyTorch: ${torch}`);
  else if (torch.parameters !== projectParameters) {
    notes.push(
      `PyTorch network has ${torch.parameters} parameters, the project's ${projectParameters}: not the same network`,
    );
  }
  const torchOk = typeof torch !== 'string' && torch.parameters === projectParameters;
  const ratioTorch = torchOk ? torch.wall_ms / projectOfficial.best_ms : null;
  const ratioTorchCpu = torchOk ? torch.cpu_ms / projectOfficial.cpu_ms : null;
  const loadAfter = loadavg()[0]!;

  const clipsPerSecond = (ms: number) => (1000 * BATCH) / ms;
  const shapes = `assemblenet-50 width ${WIDTH} modules ${MODULES.join(',')}, batch ${BATCH} x ${FRAMES} frames x ${SIZE}x${SIZE}, rgb [${BATCH * FRAMES},${SIZE},${SIZE},3] + flow [${BATCH * FRAMES},${SIZE},${SIZE},2], ${CLASSES} classes`;
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const lines = [
    `train: one training step (forward, loss, gradients of all variables, SGD momentum) on wasm, convs: ${convs}, ${threads} thread(s), ${cpuModel}, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
    `  ${shapes}`,
    `  project (4-D ops), published dilations: ${ms(projectOfficial.best_ms)}/step (CPU ${ms(projectOfficial.cpu_ms)}), ${clipsPerSecond(projectOfficial.best_ms).toFixed(2)} clips/s`,
    ...(compared !== genome
      ? [
          `  project (4-D ops), dilations 1:          ${ms(project.best_ms)}/step, ${clipsPerSecond(project.best_ms).toFixed(2)} clips/s`,
        ]
      : []),
    ...(baseline
      ? [
          `  baseline (tf.conv3d)${compared !== genome ? ', dilations 1' : ''}:        ${ms(baseline.best_ms)}/step, ${clipsPerSecond(baseline.best_ms).toFixed(2)} clips/s`,
          `  ratio (conv3d time / project time): ${ratio!.toFixed(2)}x; cpu per step: project ${ms(project.cpu_ms)}, conv3d ${ms(baseline.cpu_ms)}`,
        ]
      : []),
    ...(torchOk
      ? [
          `  PyTorch ${torch.torch} (${torch.threads} thread(s)), same genome: ${ms(torch.wall_ms)}/step (CPU ${ms(torch.cpu_ms)}), the faster of nn.Conv3d ${ms(torch.formulations.conv3d.wall_ms)} and F.conv2d views ${ms(torch.formulations.views.wall_ms)}; ratio vs torch ${ratioTorch!.toFixed(2)} wall, ${ratioTorchCpu!.toFixed(2)} CPU`,
        ]
      : []),
    ...notes.map((note) => `  note: ${note}`),
    ...(profile
      ? [
          `  profile: one step ${profile.wallMs.toFixed(0)} ms wall, ${profile.cpuMs.toFixed(0)} ms CPU; kernels by self time:`,
          ...formatProfile(profile).map((line) => `    ${line}`),
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'train',
        ratio: ratio === null ? null : round(ratio, 2),
        project_ms: round(project.best_ms),
        baseline_ms: baseline ? round(baseline.best_ms) : null,
        baseline: `same network with conv: 'conv3d' (tf.conv3d, wasm, same run)${compared !== genome ? ', both at temporal dilation 1' : ''}`,
        shapes,
        project_clips_per_s: round(clipsPerSecond(project.best_ms), 2),
        baseline_clips_per_s: baseline ? round(clipsPerSecond(baseline.best_ms), 2) : null,
        project_official_ms: round(projectOfficial.best_ms),
        project_official_cpu_ms: round(projectOfficial.cpu_ms),
        project_cpu_ms: round(project.cpu_ms),
        baseline_cpu_ms: baseline ? round(baseline.cpu_ms) : null,
        torch_ms: torchOk ? round(torch.wall_ms) : null,
        torch_cpu_ms: torchOk ? round(torch.cpu_ms) : null,
        torch_best: torchOk ? torch.best : null,
        torch_conv3d_ms: torchOk ? round(torch.formulations.conv3d.wall_ms) : null,
        torch_views_ms: torchOk ? round(torch.formulations.views.wall_ms) : null,
        ratio_torch: ratioTorch === null ? null : round(ratioTorch, 2),
        ratio_torch_cpu: ratioTorchCpu === null ? null : round(ratioTorchCpu, 2),
        torch: typeof torch === 'string' ? null : torch.torch,
        parameters: projectParameters,
        steps,
        baseline_steps: baselineSteps,
        threads,
        convs,
        cpu: cpuModel,
        cores: cpus().length,
        load_before: round(loadBefore, 2),
        load_after: round(loadAfter, 2),
        node: process.version,
        tfjs: tf.version.tfjs,
        notes,
        ...(profile ? { profile: summariseProfile(profile) } : {}),
      })}\n`,
    );
  }
}
