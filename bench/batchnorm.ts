/**
 * Training-mode batch norm + ReLU, forward and gradient, on wasm: the project's two kernels
 * (src/engine/kernels/BatchNormTraining.ts) against the same formula as tfjs ops
 * (`batchNormTraining(..., { kernels: false })`, what other backends run), same backend, same run.
 *
 * `npm run bench -- batchnorm [--json] [--runs N]`
 *
 * Shapes: the batch-norm inputs of an evolution proxy (width 0.25, batch 8 clips of 8 frames,
 * 32 px): the stems' [64,16,16,11] (11 channels: two groups of 4 and a tail of 3 in the
 * kernels' loops), and [64,8,8,32], [64,4,4,64] of levels 1-2. Each run: forward, the gradient
 * of sum(y * upstream) to x, gamma and beta, then one read of the results. Times: median of N
 * runs after 3 warm-up runs, per shape; ratio = ops ms / kernels ms summed over the shapes.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { backendReport, selectBackend, tf } from '../src/index.ts';
import { batchNormTraining } from '../src/engine/batchNorm.ts';
import type { Tensor, Tensor4D } from '../src/engine/tf.ts';

const SHAPES: [number, number, number, number][] = [
  [64, 16, 16, 11],
  [64, 8, 8, 32],
  [64, 4, 4, 64],
];
const EPSILON = 1e-3;

const arg = (args: string[], name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median ms of forward + gradient with the kernels (`kernels` true) or the ops form. */
function time(shape: [number, number, number, number], kernels: boolean, runs: number): number {
  const channels = shape[3];
  const [x, gamma, beta, upstream] = [
    tf.randomNormal(shape, 0.3, 2, 'float32', 1),
    tf.randomUniform([channels], 0.5, 1.5, 'float32', 2),
    tf.randomNormal([channels], 0, 0.5, 'float32', 3),
    tf.randomNormal(shape, 0, 1, 'float32', 4),
  ];
  const once = () => {
    const values = tf.tidy(() => {
      const loss = (a: Tensor, g: Tensor, b: Tensor) => {
        const out = batchNormTraining(a as Tensor4D, g, b, EPSILON, { relu: true, kernels });
        tf.dispose([out.mean, out.variance]);
        return tf.sum(tf.mul(out.y, upstream!));
      };
      return tf.grads(loss)([x!, gamma!, beta!]);
    });
    for (const value of values) value.dataSync();
    tf.dispose(values);
  };
  try {
    for (let i = 0; i < 3; i++) once();
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      once();
      walls.push(performance.now() - start);
    }
    return median(walls);
  } finally {
    tf.dispose([x!, gamma!, beta!, upstream!]);
  }
}

export async function main(args: string[]): Promise<void> {
  const runs = Number(arg(args, '--runs') ?? 30);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(
      `bench batchnorm: expected --runs N (integer >= 1), got "${arg(args, '--runs')}"`,
    );
  await selectBackend('wasm', { threads: 1 });
  const loadBefore = loadavg()[0]!;
  const rows = SHAPES.map((shape) => {
    // alternate the two forms so that load changes hit both alike
    const kernels = [time(shape, true, runs)];
    const ops = [time(shape, false, runs)];
    kernels.push(time(shape, true, runs));
    ops.push(time(shape, false, runs));
    const kernelsMs = Math.min(...kernels);
    const opsMs = Math.min(...ops);
    const elements = shape.reduce((p, d) => p * d, 1);
    return {
      shape,
      kernels_ms: round(kernelsMs),
      ops_ms: round(opsMs),
      ratio: round(opsMs / kernelsMs),
      kernels_ns_per_element: round((kernelsMs * 1e6) / elements, 1),
    };
  });
  const projectMs = rows.reduce((s, r) => s + r.kernels_ms, 0);
  const baselineMs = rows.reduce((s, r) => s + r.ops_ms, 0);
  const result = {
    bench: 'batchnorm',
    ratio: round(baselineMs / projectMs),
    project_ms: round(projectMs),
    baseline_ms: round(baselineMs),
    baseline: 'the same batch norm + ReLU forward and gradient as tfjs ops (kernels: false)',
    shapes: rows,
    runs,
    backend: backendReport(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      load_before: round(loadBefore),
      load_after: round(loadavg()[0]!),
    },
  };
  for (const row of rows) {
    process.stdout.write(
      `batchnorm [${row.shape.join(',')}]: kernels ${row.kernels_ms} ms (${row.kernels_ns_per_element} ns/element), ops ${row.ops_ms} ms, ratio ${row.ratio}\n`,
    );
  }
  process.stdout.write(
    `batchnorm: kernels ${result.project_ms} ms vs ops ${result.baseline_ms} ms: ratio ${result.ratio} (wasm, 1 thread, ${result.machine.cpu}, load ${result.machine.load_before})\n`,
  );
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
}
