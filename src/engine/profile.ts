/**
 * Per-kernel profile of a piece of tfjs work: every kernel registered for the backend is wrapped
 * with a timer for the duration of the call, then the original registrations are put back.
 *
 * Why not `tf.profile`: it reports each kernel's inclusive time, and the project's overrides call
 * other kernels (a Conv2DBackpropFilter runs Transpose and Conv2D inside), so inclusive times
 * count the same milliseconds twice. Here each kernel gets its *self* time (its own time minus
 * the kernels it called), so the rows add up to the time spent in kernels; the rest of the wall
 * time is JavaScript outside kernels (tape, tidy, shape checks).
 *
 * Kernels run synchronously on wasm and cpu, so wall time around the kernel function is its time.
 * On backends that run asynchronously (webgl, tfjs-node's async paths) the numbers mean little.
 */
import { performance } from 'node:perf_hooks';
import { tf } from './tf.ts';
import type { KernelConfig, TensorInfo } from './kernels/tensorInfo.ts';

export interface KernelProfileRow {
  /** Kernel name, or `name [shapes]` when profiled by shape. */
  kernel: string;
  calls: number;
  /** Time in this kernel, not counting kernels it called. */
  selfMs: number;
  /** Process CPU time in this kernel (all threads), not counting kernels it called. */
  selfCpuMs: number;
  /** selfMs / wallMs of the profiled call. */
  share: number;
}

export interface KernelProfile {
  wallMs: number;
  /** Process CPU time of the profiled call. */
  cpuMs: number;
  /** Sum of the self times: the time spent inside kernels. */
  kernelMs: number;
  /** Kernels by self time, largest first. */
  rows: KernelProfileRow[];
}

export interface ProfileOptions {
  /** Key rows by kernel name and input shapes (default: by name only). */
  byShape?: boolean;
  /** Backend whose kernels are timed (default: the active one). */
  backend?: string;
}

function shapeKey(name: string, inputs: Record<string, TensorInfo | undefined>): string {
  const shapes = Object.values(inputs)
    .filter((info): info is TensorInfo => info !== undefined)
    .map((info) => `[${info.shape.join(',')}]`);
  return `${name} ${shapes.join(' ')}`;
}

/** Runs `work` once with every kernel timed; returns its result and the profile. */
export function profileKernels<T>(
  work: () => T,
  options: ProfileOptions = {},
): { result: T; profile: KernelProfile } {
  const backend = options.backend ?? tf.getBackend();
  const originals = tf.getKernelsForBackend(backend) as KernelConfig[];
  const totals = new Map<string, { calls: number; selfMs: number; selfCpuMs: number }>();
  // Wall and CPU time spent in kernels called by the kernel at each depth of the call chain.
  const childMs: number[] = [];
  const childCpuMs: number[] = [];
  const cpuNow = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const wrap = (config: KernelConfig): KernelConfig => ({
    ...config,
    kernelFunc: (args) => {
      childMs.push(0);
      childCpuMs.push(0);
      const cpuStart = cpuNow();
      const start = performance.now();
      try {
        return config.kernelFunc(args);
      } finally {
        const elapsed = performance.now() - start;
        const elapsedCpu = cpuNow() - cpuStart;
        const inner = childMs.pop() ?? 0;
        const innerCpu = childCpuMs.pop() ?? 0;
        if (childMs.length > 0) {
          childMs[childMs.length - 1]! += elapsed;
          childCpuMs[childCpuMs.length - 1]! += elapsedCpu;
        }
        const key = options.byShape
          ? shapeKey(config.kernelName, args.inputs as Record<string, TensorInfo | undefined>)
          : config.kernelName;
        const row = totals.get(key) ?? { calls: 0, selfMs: 0, selfCpuMs: 0 };
        row.calls++;
        row.selfMs += elapsed - inner;
        row.selfCpuMs += elapsedCpu - innerCpu;
        totals.set(key, row);
      }
    },
  });
  const reregister = (config: KernelConfig): void => {
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel(config);
  };
  for (const config of originals) reregister(wrap(config));
  const cpuStart = cpuNow();
  const start = performance.now();
  let result: T;
  try {
    result = work();
  } finally {
    for (const config of originals) reregister(config);
  }
  const wallMs = performance.now() - start;
  const cpuMs = cpuNow() - cpuStart;
  const rows = [...totals.entries()]
    .map(([kernel, row]) => ({ kernel, ...row, share: row.selfMs / wallMs }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const kernelMs = rows.reduce((sum, row) => sum + row.selfMs, 0);
  return { result, profile: { wallMs, cpuMs, kernelMs, rows } };
}

/** The top `count` rows as text lines (share of wall, wall ms, CPU ms, calls), then the rest. */
export function formatProfile(profile: KernelProfile, count = 12): string[] {
  const pct = (ms: number) => `${((100 * ms) / profile.wallMs).toFixed(1)}%`.padStart(6);
  const ms = (value: number) => value.toFixed(1).padStart(8);
  const lines = [
    `${'share'.padStart(6)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)} calls  kernel`,
  ];
  for (const row of profile.rows.slice(0, count)) {
    lines.push(
      `${pct(row.selfMs)} ${ms(row.selfMs)} ${ms(row.selfCpuMs)} ${String(row.calls).padStart(5)}  ${row.kernel}`,
    );
  }
  const rest = profile.rows.slice(count);
  if (rest.length > 0) {
    const wall = rest.reduce((sum, row) => sum + row.selfMs, 0);
    const cpu = rest.reduce((sum, row) => sum + row.selfCpuMs, 0);
    lines.push(`${pct(wall)} ${ms(wall)} ${ms(cpu)}        ${rest.length} other kernels`);
  }
  const outsideWall = profile.wallMs - profile.kernelMs;
  const outsideCpu = profile.cpuMs - profile.rows.reduce((sum, row) => sum + row.selfCpuMs, 0);
  lines.push(
    `${pct(outsideWall)} ${ms(outsideWall)} ${ms(outsideCpu)}        outside kernels (JavaScript: tape, tidy, bookkeeping)`,
  );
  return lines;
}

/** The profile as plain JSON: totals and the top `count` kernels (times rounded to 0.1 ms). */
export function summariseProfile(profile: KernelProfile, count = 12) {
  const r = (value: number) => Math.round(value * 10) / 10;
  return {
    wall_ms: r(profile.wallMs),
    cpu_ms: r(profile.cpuMs),
    outside_kernels_ms: r(profile.wallMs - profile.kernelMs),
    top: profile.rows.slice(0, count).map((row) => ({
      kernel: row.kernel,
      calls: row.calls,
      ms: r(row.selfMs),
      cpu_ms: r(row.selfCpuMs),
      share: Math.round(row.share * 1000) / 1000,
    })),
  };
}
