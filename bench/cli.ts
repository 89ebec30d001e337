/**
 * CLI start-up: wall and CPU time of `assemblenet --help` and `assemblenet score` (scoring a
 * generated prediction file) as users launch them: top-level help and `score` run from the
 * prebuilt plain-JavaScript light entry (dist/, built here first as `npm ci` builds it). Baselines
 * in the same run: the same two commands through tsx (`ASSEMBLENET_PREBUILT=0`: what the launcher
 * does for every other command, and for these when the build is missing or stale), the eager
 * program (every command and the whole tfjs bundle loaded: what `--help` cost before the command
 * table), and two floors: Node doing nothing, and Node registering tsx and doing nothing.
 * ratio = tsx-path time / prebuilt time. Goal: `--help` and `score` under 0.5 s on an idle machine.
 *
 *   npm run bench -- cli [--repeats N] [--videos N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(import.meta.dirname, '..');
const launcher = resolve(root, 'bin/assemblenet.mjs');

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

interface Case {
  args: string[];
  env?: Record<string, string>;
}

function timeOnce({ args, env }: Case): Timing {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const wallMs = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`bench cli: ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  // spawnSync does not report child CPU time; /usr/bin/time is not always there, so the CPU
  // figure comes from the child's own report (see snippet below).
  const cpu = /cpuMs=(\d+(\.\d+)?)/.exec(run.stderr);
  return { wallMs, cpuMs: cpu ? Number(cpu[1]) : Number.NaN };
}

/** Runs `body` (an ES module snippet) in a child that reports its CPU time on exit. */
function snippet(body: string, env?: Record<string, string>): Case {
  const report =
    "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('cpuMs=' + (u.user + u.system) / 1000 + '\\n'); });";
  return { args: ['--input-type=module', '-e', `${report}\n${body}`], ...(env ? { env } : {}) };
}

/** The launcher with `argv`, as `assemblenet ARGV` runs it. */
function assemblenet(argv: string[], env?: Record<string, string>): Case {
  return snippet(
    `process.argv = ${JSON.stringify(['node', 'assemblenet', ...argv])}; await import(${JSON.stringify(launcher)});`,
    env,
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A Kinetics-style test CSV of `videos` videos over 10 classes and a prediction line for each. */
function writeScoreInputs(dir: string, videos: number): void {
  const classes = Array.from({ length: 10 }, (_, c) => `class${c}`);
  const csv = ['label,youtube_id,time_start,time_end,split'];
  const predictions: string[] = [];
  for (let v = 0; v < videos; v++) {
    const label = v % classes.length;
    csv.push(`${classes[label]},vid${v},0,10,test`);
    // a fixed pseudo-random score per (video, class), the true class raised by 0.5
    const scores = classes.map(
      (_, c) =>
        Math.abs((Math.sin(v * 12.9898 + c * 78.233) * 43758.5453) % 1) + (c === label ? 0.5 : 0),
    );
    predictions.push(`vid${v}_000000_000010 ${scores.map((s) => s.toFixed(3)).join(' ')}`);
  }
  writeFileSync(join(dir, 'test.csv'), `${csv.join('\n')}\n`);
  writeFileSync(join(dir, 'pred.txt'), `${predictions.join('\n')}\n`);
}

export async function main(args: string[]): Promise<void> {
  const repeats = flag(args, '--repeats', 7);
  const videos = flag(args, '--videos', 200);
  // the light entry as `npm ci` leaves it (a stale one would send every case to tsx)
  const build = spawnSync(
    process.execPath,
    [resolve(root, 'pipelines/scripts/build-light-cli.mjs'), '--strict'],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`bench cli: the light build failed: ${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'anet-bench-cli-'));
  writeScoreInputs(dir, videos);
  const score = ['score', '--pred', join(dir, 'pred.txt'), '--gt', join(dir, 'test.csv')];
  const viaTsx = { ASSEMBLENET_PREBUILT: '0' };
  const cases: Record<string, Case> = {
    'node floor (nothing)': snippet(''),
    'tsx floor (register tsx, nothing else)': snippet(
      "const { register } = await import('tsx/esm/api'); register();",
    ),
    'assemblenet --help': assemblenet(['--help']),
    'assemblenet --help through tsx': assemblenet(['--help'], viaTsx),
    [`assemblenet score (${videos} videos)`]: assemblenet(score),
    [`assemblenet score (${videos} videos) through tsx`]: assemblenet(score, viaTsx),
    'eager program --help (every command + tfjs)': snippet(
      `const { register } = await import('tsx/esm/api'); register(); const { buildProgram } = await import(${JSON.stringify(resolve(root, 'pipelines/cli.ts'))}); const program = await buildProgram(); program.exitOverride(); program.configureOutput({ writeOut: () => {} }); try { program.parse(['node', 'assemblenet', '--help']); } catch {}`,
    ),
  };
  try {
    // one warm-up each (tsx's transform cache, the file cache), then alternating repeats
    for (const command of Object.values(cases)) timeOnce(command);
    const samples: Record<string, Timing[]> = Object.fromEntries(
      Object.keys(cases).map((k) => [k, []]),
    );
    for (let r = 0; r < repeats; r++)
      for (const [name, command] of Object.entries(cases)) samples[name]!.push(timeOnce(command));
    const rows = Object.entries(samples).map(([name, timings]) => ({
      name,
      wallMs: median(timings.map((t) => t.wallMs)),
      cpuMs: median(timings.map((t) => t.cpuMs)),
    }));
    const byName = (name: string) => rows.find((row) => row.name === name)!;
    const help = byName('assemblenet --help');
    const helpTsx = byName('assemblenet --help through tsx');
    const scored = byName(`assemblenet score (${videos} videos)`);
    const scoredTsx = byName(`assemblenet score (${videos} videos) through tsx`);
    const eager = byName('eager program --help (every command + tfjs)');
    const helpRatio = helpTsx.wallMs / help.wallMs;
    const scoreRatio = scoredTsx.wallMs / scored.wallMs;
    const eagerRatio = eager.wallMs / help.wallMs;
    const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)}, Node ${process.version}`;
    console.log(`CLI start-up, median of ${repeats} (${machine})`);
    for (const row of rows)
      console.log(
        `  ${row.name.padEnd(48)} ${row.wallMs.toFixed(0).padStart(6)} ms wall ${row.cpuMs.toFixed(0).padStart(6)} ms CPU`,
      );
    const goal = (ms: number) => (ms < 500 ? 'meets' : 'misses');
    console.log(
      `ratios (wall): --help through tsx / prebuilt ${helpRatio.toFixed(2)}x, score through tsx / prebuilt ${scoreRatio.toFixed(2)}x, eager --help / prebuilt ${eagerRatio.toFixed(2)}x`,
    );
    console.log(
      `0.5 s goal: --help ${goal(help.wallMs)} it (${help.wallMs.toFixed(0)} ms), score ${goal(scored.wallMs)} it (${scored.wallMs.toFixed(0)} ms)`,
    );
    if (args.includes('--json'))
      console.log(
        JSON.stringify({
          bench: 'cli',
          ratio: helpRatio,
          score_ratio: scoreRatio,
          eager_ratio: eagerRatio,
          project_ms: help.wallMs,
          baseline_ms: helpTsx.wallMs,
          baseline: 'the same command through tsx (ASSEMBLENET_PREBUILT=0)',
          shapes: `score: ${videos} videos x 10 classes`,
          rows,
          machine,
          repeats,
        }),
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
