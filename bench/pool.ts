/**
 * Pool scaling: the same batch of clip tasks (decode + TV-L1 flow, no cache) on a pool of 2
 * workers vs 1 worker, in the same run. ratio = 1-worker time / 2-worker time (goal >= 1.7 on
 * 2 free cores). Videos are generated with ffmpeg into a temporary folder.
 *
 *   npm run bench -- pool [--videos N] [--frames T] [--size S] [--repeats R] [--json]
 *
 * It also prints how many cores the process actually got (CPU time / wall time): on a machine
 * busy with other work, 2 workers cannot beat 1 when the process only gets one core's worth.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClipPool, resolveTool, type ClipRequest } from '../src/index.ts';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

interface BatchTiming {
  ms: number;
  /** CPU time of this process (all threads; ffmpeg children excluded) / wall time. */
  coresUsed: number;
}

async function timeBatch(workers: number, requests: ClipRequest[]): Promise<BatchTiming> {
  const pool = new ClipPool({ workers });
  try {
    // warm-up: every worker loads its modules and solver buffers before the clock starts
    await Promise.all(requests.slice(0, workers).map((r) => pool.run(r)));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(requests.map((r) => pool.run(r)));
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { ms, coresUsed: (cpu.user + cpu.system) / 1000 / ms };
  } finally {
    await pool.destroy();
  }
}

/** Best of `repeats` alternating runs of 1 and 2 workers (other load on the machine varies). */
async function compare(
  requests: ClipRequest[],
  repeats: number,
): Promise<{ one: BatchTiming; two: BatchTiming }> {
  let one: BatchTiming | undefined;
  let two: BatchTiming | undefined;
  for (let r = 0; r < repeats; r++) {
    const a = await timeBatch(1, requests);
    const b = await timeBatch(2, requests);
    if (!one || a.ms < one.ms) one = a;
    if (!two || b.ms < two.ms) two = b;
  }
  return { one: one!, two: two! };
}

export async function main(args: string[]): Promise<void> {
  const videoCount = flag(args, '--videos', 8);
  const frames = flag(args, '--frames', 4);
  const size = flag(args, '--size', 64);
  const json = args.includes('--json');
  const dir = mkdtempSync(join(tmpdir(), 'anet-bench-pool-'));
  try {
    const ffmpeg = resolveTool('ffmpeg').path;
    const requests: ClipRequest[] = [];
    for (let v = 0; v < videoCount; v++) {
      const path = join(dir, `v${v}.mp4`);
      execFileSync(ffmpeg, [
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=96x72:rate=12:duration=2`,
        '-vf',
        `hue=h=${v * 40}`,
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        path,
      ]);
      requests.push({
        video: path,
        streams: [
          { name: 'rgb', kind: 'rgb', frames, stride: 1 },
          { name: 'flow', kind: 'flow', frames, stride: 2 },
        ],
        fps: 'native',
        placement: { kind: 'test', index: 0, count: 1 },
        geometry: { shortSide: size, crop: size },
        flow: { method: 'tvl1', bound: 20 },
      });
    }
    const { one, two } = await compare(requests, flag(args, '--repeats', 2));
    const baselineMs = one.ms;
    const projectMs = two.ms;
    const ratio = baselineMs / projectMs;
    const shapes = `${videoCount} clips x (rgb [${frames},${size},${size},3] + tvl1 flow [${frames},${size},${size},2])`;
    process.stdout.write(
      `pool: ${shapes}\n` +
        `  1 worker : ${baselineMs.toFixed(0)} ms (this process used ${one.coresUsed.toFixed(2)} cores)\n` +
        `  2 workers: ${projectMs.toFixed(0)} ms (this process used ${two.coresUsed.toFixed(2)} cores)\n` +
        `  speed-up : ${ratio.toFixed(2)}x (goal >= 1.7 on 2 free cores; load average now ${loadavg()[0]!.toFixed(1)})\n`,
    );
    if (json) {
      process.stdout.write(
        `${JSON.stringify({
          bench: 'pool',
          ratio,
          project_ms: projectMs,
          baseline_ms: baselineMs,
          baseline: '1 worker',
          project: '2 workers',
          shapes,
          cores_used: { baseline: one.coresUsed, project: two.coresUsed },
          machine: {
            cpus: availableParallelism(),
            cpu: cpus()[0]?.model,
            node: process.version,
            loadavg1: loadavg()[0],
          },
        })}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
