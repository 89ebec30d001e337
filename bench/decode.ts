/**
 * Decode throughput: the project's `decodeFrames` (ffmpeg -> rgb24 pipe -> frames as
 * Uint8Arrays in JS) against plain `ffmpeg ... -vf <same filters> -f null -` (decode + filter,
 * no pipe, no JS): the decode limit. Same file, same filters, same run.
 *
 * `npm run bench -- decode [--json] [--repeats N]`
 * ratio = baseline_ms / project_ms (1.0 = no overhead over ffmpeg alone; goal >= 0.8), wall
 * time, best of N interleaved repeats (other load only ever adds time). Also reported:
 * cpu_ratio, the same ratio over CPU seconds (ffmpeg child + this process; Linux /proc), which
 * other processes on the machine disturb much less.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeFrames, planDecode, probeVideo, resolveTool, toolVersion } from '../src/index.ts';
import type { DecodeOptions } from '../src/index.ts';

interface Case {
  name: string;
  options: DecodeOptions;
}

const CASES: Case[] = [
  { name: 'short side 128, centre crop 112', options: { shortSide: 128, crop: 112 } },
  { name: 'native 320x240', options: {} },
];

export async function main(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const repeatsAt = args.indexOf('--repeats');
  const repeats = repeatsAt >= 0 ? Number(args[repeatsAt + 1]) : 5;
  const ffmpeg = resolveTool('ffmpeg');
  const dir = mkdtempSync(join(tmpdir(), 'bench-decode-'));
  try {
    const video = join(dir, 'testsrc2-320x240-10s.mp4');
    runOrThrow(ffmpeg.path, [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25:duration=10',
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    const info = await probeVideo(video);
    const results = [];
    for (const benchCase of CASES) {
      const plan = await planDecode(video, { ...benchCase.options, info });
      // Baseline: the project's own input/filter arguments, output to the null muxer instead of the pipe.
      const pipeAt = plan.args.indexOf('-f');
      const baselineArgs = [
        '-nostdin',
        '-hide_banner',
        ...plan.args.slice(0, pipeAt),
        '-f',
        'null',
        '-',
      ];
      const projectTimes: number[] = [];
      const baselineTimes: number[] = [];
      const projectCpu: number[] = [];
      const baselineCpu: number[] = [];
      let frames = 0;
      for (let r = 0; r < repeats; r++) {
        let cpuStart = cpuSeconds();
        let start = performance.now();
        runOrThrow(ffmpeg.path, baselineArgs);
        baselineTimes.push(performance.now() - start);
        baselineCpu.push(cpuSeconds() - cpuStart);
        cpuStart = cpuSeconds();
        start = performance.now();
        frames = 0;
        let checksum = 0;
        for await (const frame of decodeFrames(video, { ...benchCase.options, info })) {
          checksum = (checksum + frame.data[frame.data.length >> 1]!) | 0;
          frames++;
        }
        projectTimes.push(performance.now() - start);
        projectCpu.push(cpuSeconds() - cpuStart);
        if (checksum < 0) throw new Error('unreachable');
      }
      const projectMs = Math.min(...projectTimes);
      const baselineMs = Math.min(...baselineTimes);
      const projectCpuS = median(projectCpu);
      const baselineCpuS = median(baselineCpu);
      results.push({
        name: benchCase.name,
        frames,
        frame: `${plan.frame.width}x${plan.frame.height}x3`,
        project_ms: round(projectMs),
        baseline_ms: round(baselineMs),
        project_fps: round((frames / projectMs) * 1000),
        baseline_fps: round((info.frameCount / baselineMs) * 1000),
        ratio: round(baselineMs / projectMs, 3),
        project_cpu_s: round(projectCpuS, 3),
        baseline_cpu_s: round(baselineCpuS, 3),
        cpu_ratio:
          Number.isFinite(projectCpuS) && projectCpuS > 0
            ? round(baselineCpuS / projectCpuS, 3)
            : null,
      });
    }
    for (const r of results) {
      process.stdout.write(
        `${r.name}: ${r.frames} frames ${r.frame}; project ${r.project_ms} ms (${r.project_fps} frames/s), ` +
          `ffmpeg -f null ${r.baseline_ms} ms (${r.baseline_fps} frames/s); ratio ${r.ratio}; ` +
          `cpu ${r.project_cpu_s} s vs ${r.baseline_cpu_s} s, cpu_ratio ${r.cpu_ratio}\n`,
      );
    }
    const main = results[0]!;
    if (json) {
      process.stdout.write(
        JSON.stringify({
          bench: 'decode',
          ratio: main.ratio,
          cpu_ratio: main.cpu_ratio,
          project_ms: main.project_ms,
          baseline_ms: main.baseline_ms,
          baseline: 'ffmpeg -i <video> -vf <same filters> -f null - (same binary, same arguments)',
          shapes: { video: '320x240 h264 25 fps 10 s (250 frames)', cases: results },
          repeats,
          machine: {
            cpu: cpus()[0]?.model ?? 'unknown',
            cores: cpus().length,
            memory_gb: round(totalmem() / 2 ** 30, 1),
            node: process.version,
            ffmpeg: toolVersion(ffmpeg),
          },
        }) + '\n',
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU seconds of this process plus its reaped children (user + system), from /proc/self/stat;
 * NaN where /proc is missing.
 */
function cpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 0; utime 11, stime 12, cutime 13, cstime 14 (clock ticks)
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

function runOrThrow(binary: string, args: string[]): void {
  const result = spawnSync(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bench decode: ${binary} failed: ${result.stderr}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
