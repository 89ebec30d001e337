/**
 * Flow speed and accuracy against OpenCV in the same run: the project's TV-L1 vs OpenCV's
 * DualTVL1 (Debian python3-opencv, contrib), and Farneback through the project's OpenCV.js vs
 * cv2. Same synthetic frames (exact ground truth), same parameters; EPE on the interior.
 *
 *   npm run bench -- flow [--size 224] [--repeats 3] [--motion warp|translate|rotate] [--cv-threads 1] [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FARNEBACK_DEFAULTS,
  TVL1_DEFAULTS,
  Tvl1Solver,
  endPointError,
  farnebackFlow,
  interiorMask,
  loadOpenCv,
  syntheticFlowPair,
  type SyntheticMotion,
} from '../src/index.ts';

function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeMs<T>(
  repeats: number,
  run: () => T | Promise<T>,
): Promise<{ ms: number; result: T }> {
  let result = await run(); // warm-up (JIT, wasm compile, OpenCV.js load)
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    result = await run();
    times.push(performance.now() - start);
  }
  return { ms: median(times), result };
}

const MOTIONS: Record<string, SyntheticMotion> = {
  warp: { kind: 'warp', amplitude: 2.5 },
  translate: { kind: 'translate', dx: 1.3, dy: -0.7 },
  rotate: { kind: 'rotate', degrees: 3 },
};

export async function main(args: string[]): Promise<void> {
  const size = Number(flag(args, 'size', '224'));
  const repeats = Number(flag(args, 'repeats', '3'));
  const motionName = flag(args, 'motion', 'warp');
  const cvThreads = Number(flag(args, 'cv-threads', '1'));
  const json = args.includes('--json');
  const motion = MOTIONS[motionName];
  if (!motion)
    throw new Error(
      `bench flow: expected --motion ${Object.keys(MOTIONS).join('|')}, got ${motionName}`,
    );
  const pair = syntheticFlowPair({ width: size, height: size, motion, seed: 11 });
  const mask = interiorMask(size, size, 16);
  const epe = (flow: Float32Array) => endPointError(flow, pair.flow, { mask });

  const solver = new Tvl1Solver();
  const tvl1 = await timeMs(repeats, () => solver.compute(pair.prev, pair.next, size, size));
  await loadOpenCv();
  const farneback = await timeMs(repeats, () => farnebackFlow(pair.prev, pair.next, size, size));

  // baseline: python3-opencv on the same frames, in this run
  const dir = mkdtempSync(join(tmpdir(), 'bench-flow-'));
  let baseline: {
    available: boolean;
    reason?: string;
    version?: string;
    tvl1_ms?: number;
    farneback_ms?: number;
  } = {
    available: false,
    reason: 'not run',
  };
  let cvTvl1Epe = Number.NaN;
  let cvFarnebackEpe = Number.NaN;
  try {
    const frames = new Float32Array(size * size * 2);
    frames.set(pair.prev);
    frames.set(pair.next, size * size);
    writeFileSync(join(dir, 'frames.f32'), frames);
    const params = JSON.stringify({ tvl1: TVL1_DEFAULTS, farneback: FARNEBACK_DEFAULTS });
    const script = join(dirname(fileURLToPath(import.meta.url)), 'flow_opencv.py');
    const out = execFileSync(
      '/usr/bin/python3',
      [
        script,
        join(dir, 'frames.f32'),
        String(size),
        String(size),
        params,
        String(repeats),
        String(cvThreads),
        join(dir, 'cv_'),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    baseline = JSON.parse(out.trim().split('\n').pop() ?? '{}');
    if (baseline.available) {
      const load = (name: string) =>
        new Float32Array(readFileSync(join(dir, `cv_${name}.f32`)).buffer.slice(0));
      cvTvl1Epe = epe(load('tvl1'));
      cvFarnebackEpe = epe(load('farneback'));
    }
  } catch (error) {
    baseline = {
      available: false,
      reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const fmt = (ms: number) => `${ms.toFixed(1)} ms (${(1000 / ms).toFixed(2)} pairs/s)`;
  const lines = [
    `flow bench: ${size}x${size}, motion ${motionName}, median of ${repeats} runs, EPE on the interior (border 16)`,
    `TV-L1      project  ${fmt(tvl1.ms)}  EPE ${epe(tvl1.result).toFixed(4)} px  (WebAssembly SIMD, 1 thread, ${TVL1_DEFAULTS.interpolation})`,
    `Farneback  project  ${fmt(farneback.ms)}  EPE ${epe(farneback.result).toFixed(4)} px  (OpenCV.js)`,
  ];
  let tvl1Ratio = Number.NaN;
  let farnebackRatio = Number.NaN;
  if (baseline.available && baseline.tvl1_ms && baseline.farneback_ms) {
    tvl1Ratio = baseline.tvl1_ms / tvl1.ms;
    farnebackRatio = baseline.farneback_ms / farneback.ms;
    lines.push(
      `TV-L1      OpenCV   ${fmt(baseline.tvl1_ms)}  EPE ${cvTvl1Epe.toFixed(4)} px  (cv2 ${baseline.version} DualTVL1, ${cvThreads} thread(s), bicubic)`,
      `Farneback  OpenCV   ${fmt(baseline.farneback_ms)}  EPE ${cvFarnebackEpe.toFixed(4)} px  (cv2 ${baseline.version})`,
      `ratio (OpenCV ms / project ms): TV-L1 ${tvl1Ratio.toFixed(2)}x, Farneback ${farnebackRatio.toFixed(2)}x`,
    );
  } else {
    lines.push(
      `baseline unavailable: ${baseline.reason ?? 'unknown'} (needs /usr/bin/python3 with cv2.optflow)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'flow',
        ratio: tvl1Ratio,
        project_ms: tvl1.ms,
        baseline_ms: baseline.tvl1_ms ?? null,
        baseline: baseline.available
          ? `OpenCV ${baseline.version} DualTVL1 (python3-opencv, ${cvThreads} thread)`
          : 'unavailable',
        shapes: { width: size, height: size, motion: motionName },
        epe: { project: epe(tvl1.result), baseline: cvTvl1Epe },
        farneback: {
          project_ms: farneback.ms,
          baseline_ms: baseline.farneback_ms ?? null,
          ratio: farnebackRatio,
          epe_project: epe(farneback.result),
          epe_baseline: cvFarnebackEpe,
        },
        machine: {
          cpus: cpus().length,
          cpu: cpus()[0]?.model,
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
        },
      })}\n`,
    );
  }
}
