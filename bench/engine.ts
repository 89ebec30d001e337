/**
 * One training step of a (2+1)D block on the wasm backend: the project's 4-D op (conv2d views
 * with the project's gradient and kernels) against `tf.conv3d` (same backend, same run), and,
 * when Debian's python3-torch imports, against PyTorch with the same thread count.
 *
 * `npm run bench -- engine [--json] [--steps N] [--baseline-steps N] [--no-torch] [--profile]`
 *
 * Step: x [B,T,H,W,C] = [2,16,32,32,32] -> spatial 1x3x3 conv (32->32) -> temporal 3x1x1 conv
 * (32->32, dilation d, 'same') -> loss mean(y^2); backward to x and both filters (a block inside
 * a network needs dx); SGD update of the filters. Dilations 1 and 2.
 * ratio = baseline_ms / project_ms at dilation 1; per-dilation numbers in `runs`. Times: best
 * wall time of N steps after a warm-up (conv3d: no warm-up, its steps take seconds; other load
 * only ever adds time), the median wall time (project_median_ms), and the median CPU
 * time of this process per step (cpu_*), which other processes disturb less; ratio_torch_cpu
 * compares medians of CPU time. Best wall and median CPU are different statistics: on a noisy
 * machine the CPU time can exceed the best wall time of one thread. The CPU time of the threads
 * other than the main one (V8's GC and compiler threads) is reported apart.
 * --threads N: wasm threads (default as the engine's: ASSEMBLENET_THREADS, else free cores); torch
 * runs with the same count.
 * --profile: one more step per dilation with every kernel timed (src/engine/profile.ts); prints
 * the top kernels by self time with their share of the step (and `profile` in the JSON).
 *
 * PyTorch runs the step written two ways (bench/engine_torch.py): F.conv3d, and F.conv2d on the
 * same 4-D views the project uses; torch_ms is the faster of the two (the fair peer), both are in
 * the JSON. The conv ceiling: the block's two forward convs alone, timed in this run, give the
 * rate the conv kernels (oneDNN's native ones when built, else XNNPACK's; `convs`) reach on
 * these shapes; a training step runs each conv three times (forward,
 * input and filter gradient: the same multiply-adds), so it cannot take less than three forward
 * passes at that rate (`floor_ms`), and `ratio_torch_ceiling` = torch_ms / floor_ms is the most
 * any kernel work on this backend could reach.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { backendReport, conv2plus1d, selectBackend, tf } from '../src/index.ts';
import {
  formatProfile,
  profileKernels,
  summariseProfile,
  type KernelProfile,
} from '../src/engine/profile.ts';
import type { Tensor, Tensor4D, Tensor5D, Variable } from '../src/engine/tf.ts';

const SHAPE = { batch: 2, frames: 16, height: 32, width: 32, channels: 32 } as const;
const DILATIONS = [1, 2] as const;
const PYTHON = '/usr/bin/python3';
const LEARNING_RATE = 1e-3;

interface Timing {
  /** Best wall time. */
  wall_ms: number;
  wall_median_ms: number;
  /** Median process CPU time (all threads). */
  cpu_ms: number;
  /** Median CPU time of threads other than the main one (V8 GC/compiler, wasm pthreads). */
  cpu_other_threads_ms: number | null;
}

/** CPU ms of the main thread and of all other threads of this process (Linux /proc), or null. */
function threadCpu(): { main: number; others: number } | null {
  try {
    const tick = 10; // USER_HZ = 100 on Linux: a tick is 10 ms
    let main = 0;
    let others = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      if (Number(tid) === process.pid) main += ms;
      else others += ms;
    }
    return { main, others };
  } catch {
    return null;
  }
}

interface Run {
  dilation: number;
  project_ms: number;
  project_median_ms: number;
  project_cpu_ms: number;
  /** Of project_cpu_ms: threads other than the main one (null where /proc is missing). */
  project_cpu_other_threads_ms: number | null;
  baseline_ms: number | null;
  baseline_cpu_ms: number | null;
  /** Dilation the conv3d baseline ran at (1 when its gradient refuses d). */
  baseline_dilation: number | null;
  ratio: number | null;
  torch_ms: number | null;
  torch_cpu_ms: number | null;
  ratio_torch: number | null;
  /** torch_cpu_ms / project_cpu_ms (median CPU per step on both sides). */
  ratio_torch_cpu: number | null;
  /** PyTorch's step with F.conv3d and with F.conv2d views (torch_ms is the faster). */
  torch_conv3d_ms: number | null;
  torch_views_ms: number | null;
  /** The block's forward convs alone on this backend (best of N) and their rate. */
  forward_ms: number;
  forward_gflops: number;
  /** Three forward passes at that rate: no training step on this backend can be faster. */
  floor_ms: number;
  ratio_torch_ceiling: number | null;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Best and median wall time and median CPU time over `steps` calls after `warmup` untimed calls,
 * and the median CPU time of the other threads (tick resolution, 10 ms: a per-step median).
 */
function time(step: () => void, steps: number, warmup = 1): Timing {
  for (let i = 0; i < warmup; i++) step();
  const walls: number[] = [];
  const cpuTimes: number[] = [];
  const otherTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const threads0 = threadCpu();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    step();
    walls.push(performance.now() - wall0);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    const threads1 = threadCpu();
    if (threads0 && threads1) otherTimes.push(threads1.others - threads0.others);
  }
  return {
    wall_ms: Math.min(...walls),
    wall_median_ms: median(walls),
    cpu_ms: median(cpuTimes),
    cpu_other_threads_ms: otherTimes.length === steps ? median(otherTimes) : null,
  };
}

/** Applies one SGD step and waits for the loss. */
function sgdStep(loss: () => Tensor, inputs: Tensor[], filters: Variable[]): void {
  tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...args: Tensor[]) => {
      void args; // the closure reads the same tensors; tf.valueAndGrads needs them as arguments
      return loss() as tf.Scalar;
    })([...inputs, ...filters]);
    filters.forEach((filter, i) =>
      filter.assign(tf.sub(filter, tf.mul(grads[inputs.length + i]!, LEARNING_RATE))),
    );
    value.dataSync();
  });
}

function projectStep(
  x: Tensor4D,
  spatial: Variable,
  temporal: Variable,
  dilation: number,
): () => void {
  const loss = () =>
    tf.mean(
      tf.square(
        conv2plus1d(x, SHAPE.frames, {
          spatialFilter: spatial as unknown as Tensor4D,
          temporalFilter: temporal as unknown as Tensor4D,
          dilation,
        }),
      ),
    );
  return () => sgdStep(loss, [x], [spatial, temporal]);
}

function conv3dStep(
  x: Tensor5D,
  spatial: Variable,
  temporal: Variable,
  dilation: number,
): () => void {
  const loss = () => {
    const mid = tf.conv3d(x, spatial as unknown as Tensor5D, 1, 'same');
    return tf.mean(
      tf.square(
        tf.conv3d(mid, temporal as unknown as Tensor5D, 1, 'same', 'NDHWC', [dilation, 1, 1]),
      ),
    );
  };
  return () => sgdStep(loss, [x], [spatial, temporal]);
}

interface TorchTiming {
  wall_ms: number;
  cpu_ms: number;
}

interface TorchResult {
  torch: string;
  runs: (TorchTiming & {
    dilation: number;
    best: 'conv3d' | 'views';
    conv3d: TorchTiming;
    views: TorchTiming;
  })[];
}

/** Multiply-adds x 2 of the block's forward pass: the spatial 3x3 and the temporal 3x1 conv. */
function forwardFlop(): number {
  const { batch, frames, height, width, channels } = SHAPE;
  const positions = batch * frames * height * width;
  return 2 * positions * channels * channels * (3 * 3 + 3);
}

function runTorch(steps: number, threads: number): TorchResult | string {
  const check = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (check.status !== 0) return `torch not importable by ${PYTHON}`;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'engine_torch.py');
  const config = {
    shape: [SHAPE.batch, SHAPE.frames, SHAPE.height, SHAPE.width, SHAPE.channels],
    channels: SHAPE.channels,
    dilations: DILATIONS,
    steps,
    threads,
  };
  const run = spawnSync(PYTHON, [script, JSON.stringify(config)], { encoding: 'utf8' });
  if (run.status !== 0) return `torch run failed: ${run.stderr.trim().split('\n').pop()}`;
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchResult;
}

const numberArg = (args: string[], name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

const round = (value: number | null, digits = 1): number | null =>
  value === null ? null : Number(value.toFixed(digits));

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const steps = numberArg(args, '--steps', 5);
  const baselineSteps = numberArg(args, '--baseline-steps', 2);
  const profile = args.includes('--profile');
  const profiles = new Map<number, KernelProfile>();
  const loadBefore = loadavg()[0]!;
  const threadsArg = args.includes('--threads')
    ? Number(args[args.indexOf('--threads') + 1])
    : undefined;
  await selectBackend('wasm', threadsArg === undefined ? {} : { threads: threadsArg });
  const threads = backendReport()?.threads ?? 1;
  const convs = backendReport()?.nativeConv ?? 'XNNPACK';
  const { batch, frames, height, width, channels } = SHAPE;

  const notes: string[] = [];
  const runs: Run[] = [];
  const baselineByDilation = new Map<number, Timing & { dilation: number }>();
  for (const dilation of DILATIONS) {
    const x = tf.randomNormal(
      [batch * frames, height, width, channels],
      0,
      1,
      'float32',
      1,
    ) as Tensor4D;
    const spatial = tf.variable(tf.randomNormal([3, 3, channels, channels], 0, 0.1, 'float32', 2));
    const temporal = tf.variable(tf.randomNormal([3, 1, channels, channels], 0, 0.1, 'float32', 3));
    const stepOnce = projectStep(x, spatial, temporal, dilation);
    const project = time(stepOnce, steps);
    const forward = time(
      () =>
        tf.tidy(() => {
          conv2plus1d(x, SHAPE.frames, {
            spatialFilter: spatial as unknown as Tensor4D,
            temporalFilter: temporal as unknown as Tensor4D,
            dilation,
          }).dataSync();
        }),
      steps,
    );
    if (profile) profiles.set(dilation, profileKernels(stepOnce).profile);

    // conv3d: the same numbers on the rank-5 layout.
    const x5 = x.reshape([batch, frames, height, width, channels]) as Tensor5D;
    const spatial5 = tf.variable(spatial.reshape([1, 3, 3, channels, channels]));
    const temporal5 = tf.variable(temporal.reshape([3, 1, 1, channels, channels]));
    let baseline: (Timing & { dilation: number }) | undefined;
    if (baselineSteps <= 0) {
      // --baseline-steps 0: no conv3d timing (its steps take seconds).
    } else
      try {
        baseline = baselineByDilation.get(dilation) ?? {
          // A conv3d step takes seconds: no warm-up call, best of the timed ones.
          ...time(conv3dStep(x5, spatial5, temporal5, dilation), baselineSteps, 0),
          dilation,
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('.')[0] : String(error);
        notes.push(
          `conv3d at dilation ${dilation} failed ("${reason}"): its baseline is timed at dilation 1`,
        );
        baseline = baselineByDilation.get(1);
      }
    if (baseline) baselineByDilation.set(dilation, baseline);
    tf.dispose([x, spatial, temporal, x5, spatial5, temporal5]);
    runs.push({
      dilation,
      project_ms: project.wall_ms,
      project_median_ms: project.wall_median_ms,
      project_cpu_ms: project.cpu_ms,
      project_cpu_other_threads_ms: project.cpu_other_threads_ms,
      baseline_ms: baseline?.wall_ms ?? null,
      baseline_cpu_ms: baseline?.cpu_ms ?? null,
      baseline_dilation: baseline?.dilation ?? null,
      ratio: baseline ? baseline.wall_ms / project.wall_ms : null,
      torch_ms: null,
      torch_cpu_ms: null,
      ratio_torch: null,
      ratio_torch_cpu: null,
      torch_conv3d_ms: null,
      torch_views_ms: null,
      forward_ms: forward.wall_ms,
      forward_gflops: forwardFlop() / forward.wall_ms / 1e6,
      floor_ms: 3 * forward.wall_ms,
      ratio_torch_ceiling: null,
    });
  }

  // XNNPACK's rate on a large square matMul (its best case), for scale beside the block's convs.
  const matmulSide = 1024;
  const square = tf.randomNormal([matmulSide, matmulSide], 0, 1, 'float32', 4);
  const matmul = time(() => tf.tidy(() => void tf.matMul(square, square).dataSync()), steps);
  square.dispose();
  const matmulGflops = (2 * matmulSide ** 3) / matmul.wall_ms / 1e6;

  const torch = args.includes('--no-torch') ? 'skipped (--no-torch)' : runTorch(steps, threads);
  if (typeof torch === 'string') notes.push(`PyTorch: ${torch}`);
  else {
    for (const run of runs) {
      const peer = torch.runs.find((r) => r.dilation === run.dilation);
      if (!peer) continue;
      run.torch_ms = peer.wall_ms;
      run.torch_cpu_ms = peer.cpu_ms;
      run.ratio_torch = peer.wall_ms / run.project_ms;
      run.ratio_torch_cpu = peer.cpu_ms / run.project_cpu_ms;
      run.torch_conv3d_ms = peer.conv3d.wall_ms;
      run.torch_views_ms = peer.views.wall_ms;
      run.ratio_torch_ceiling = peer.wall_ms / run.floor_ms;
    }
  }

  const loadAfter = loadavg()[0]!;
  const shapes = `x=[${batch},${frames},${height},${width},${channels}] (4-D view [${batch * frames},${height},${width},${channels}]) spatial=[1,3,3,${channels},${channels}] temporal=[3,1,1,${channels},${channels}]`;
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const fmt = (v: number | null, unit = ' ms') => (v === null ? '-' : `${v.toFixed(1)}${unit}`);
  const lines = [
    `engine: one training step (forward, backward to x and filters, SGD) on wasm, convs: ${convs}, ${threads} thread(s), ${cpuModel}, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
    `  ${shapes}`,
    `  dilation | project (4-D conv2d) | tf.conv3d baseline      | ratio  | PyTorch best      | ratio vs torch`,
    ...runs.map(
      (r) =>
        `  ${String(r.dilation).padEnd(8)} | ${fmt(r.project_ms).padEnd(20)} | ${`${fmt(r.baseline_ms)} (d=${r.baseline_dilation ?? '-'})`.padEnd(23)} | ${fmt(r.ratio, 'x').padEnd(6)} | ${fmt(r.torch_ms).padEnd(16)} | ${fmt(r.ratio_torch, 'x')}`,
    ),
    `  cpu time per step (median): ${runs.map((r) => `d=${r.dilation} project ${fmt(r.project_cpu_ms)}, conv3d ${fmt(r.baseline_cpu_ms)}, torch ${fmt(r.torch_cpu_ms)} (ratio ${fmt(r.ratio_torch_cpu, 'x')})`).join('; ')}`,
    `  PyTorch by formulation (best wall): ${runs.map((r) => `d=${r.dilation} F.conv3d ${fmt(r.torch_conv3d_ms)}, F.conv2d views ${fmt(r.torch_views_ms)}`).join('; ')}; the faster is the peer`,
    `  conv ceiling (${convs}): the block's forward convs alone ${runs.map((r) => `d=${r.dilation} ${fmt(r.forward_ms)} (${r.forward_gflops.toFixed(1)} GFLOP/s)`).join(', ')}; a step is >= 3 forward passes: floor ${runs.map((r) => `d=${r.dilation} ${fmt(r.floor_ms)}, ratio vs torch at most ${fmt(r.ratio_torch_ceiling, 'x')}`).join('; ')}`,
    `  rates: XNNPACK matMul ${matmulSide}^3 ${matmulGflops.toFixed(1)} GFLOP/s; PyTorch's step ${runs.map((r) => `d=${r.dilation} ${r.torch_ms === null ? '-' : ((3 * forwardFlop()) / r.torch_ms / 1e6).toFixed(1)} GFLOP/s`).join(', ')} (3 x ${(forwardFlop() / 1e9).toFixed(2)} GFLOP per step)`,
    `  project wall per step, best / median: ${runs.map((r) => `d=${r.dilation} ${fmt(r.project_ms)} / ${fmt(r.project_median_ms)}`).join('; ')}; CPU of threads other than the main one (median): ${runs.map((r) => `d=${r.dilation} ${fmt(r.project_cpu_other_threads_ms)}`).join(', ')}`,
    ...notes.map((note) => `  note: ${note}`),
    ...[...profiles.entries()].flatMap(([dilation, p]) => [
      `  profile, dilation ${dilation}: one step ${p.wallMs.toFixed(1)} ms wall, ${p.cpuMs.toFixed(1)} ms CPU; kernels by self time:`,
      ...formatProfile(p).map((line) => `    ${line}`),
    ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) {
    const head = runs[0]!;
    const summary = {
      bench: 'engine',
      ratio: round(head.ratio, 2),
      project_ms: round(head.project_ms),
      baseline_ms: round(head.baseline_ms),
      baseline: 'tf.conv3d (wasm, same run)',
      shapes,
      torch_ms: round(head.torch_ms),
      ratio_torch: round(head.ratio_torch, 2),
      threads,
      convs,
      cpu: cpuModel,
      cores: cpus().length,
      load_before: round(loadBefore, 2),
      load_after: round(loadAfter, 2),
      node: process.version,
      tfjs: tf.version.tfjs,
      torch: typeof torch === 'string' ? null : torch.torch,
      xnnpack_matmul_gflops: round(matmulGflops, 1),
      step_gflop: round((3 * forwardFlop()) / 1e9, 2),
      runs: runs.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [
            k,
            typeof v === 'number' && k !== 'dilation' && k !== 'baseline_dilation'
              ? round(v, 2)
              : v,
          ]),
        ),
      ),
      notes,
      ...(profiles.size > 0
        ? {
            profile: Object.fromEntries(
              [...profiles.entries()].map(([dilation, p]) => [
                `dilation${dilation}`,
                summariseProfile(p),
              ]),
            ),
          }
        : {}),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}
