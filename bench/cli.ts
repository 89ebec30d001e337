/**
 * CLI start-up: wall and CPU time of `assemblenet --help` and `assemblenet score --help` (the
 * launcher as users run it: Node + tsx + only the command that runs), against two baselines in
 * the same run: Node starting tsx and doing nothing (the floor of any launch), and the eager
 * program that loads every command and the whole tfjs bundle (what `--help` cost before the
 * command table). ratio = eager time / lazy time. Goal: `--help` under 0.5 s on an idle machine.
 *
 *   npm run bench -- cli [--repeats N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
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

function timeOnce(args: string[]): Timing {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`bench cli: ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  // spawnSync does not report child CPU time; /usr/bin/time is not always there, so the CPU
  // figure comes from the child's own report (see the eval scripts below).
  const cpu = /cpuMs=(\d+(\.\d+)?)/.exec(run.stderr);
  return { wallMs, cpuMs: cpu ? Number(cpu[1]) : Number.NaN };
}

/** Runs `body` (an ES module snippet) in a child that reports its CPU time on exit. */
function snippet(body: string): string[] {
  const report =
    "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('cpuMs=' + (u.user + u.system) / 1000 + '\\n'); });";
  return ['--input-type=module', '-e', `${report}\n${body}`];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function main(args: string[]): Promise<void> {
  const repeats = flag(args, '--repeats', 7);
  const cases: Record<string, string[]> = {
    'tsx floor (register, nothing else)': snippet(
      "const { register } = await import('tsx/esm/api'); register();",
    ),
    'assemblenet --help': snippet(
      `process.argv = ['node', 'assemblenet', '--help']; await import(${JSON.stringify(launcher)});`,
    ),
    'assemblenet score --help': snippet(
      `process.argv = ['node', 'assemblenet', 'score', '--help']; await import(${JSON.stringify(launcher)});`,
    ),
    'eager program --help (every command + tfjs)': snippet(
      `const { register } = await import('tsx/esm/api'); register(); const { buildProgram } = await import(${JSON.stringify(resolve(root, 'pipelines/cli.ts'))}); const program = await buildProgram(); program.exitOverride(); program.configureOutput({ writeOut: () => {} }); try { program.parse(['node', 'assemblenet', '--help']); } catch {}`,
    ),
  };
  // one warm-up each (tsx's transform cache), then alternating repeats
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
  const help = rows[1]!;
  const eager = rows[3]!;
  const ratio = eager.wallMs / help.wallMs;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)}, Node ${process.version}`;
  console.log(`CLI start-up, median of ${repeats} (${machine})`);
  for (const row of rows)
    console.log(
      `  ${row.name.padEnd(46)} ${row.wallMs.toFixed(0).padStart(6)} ms wall ${row.cpuMs.toFixed(0).padStart(6)} ms CPU`,
    );
  console.log(
    `ratio (eager --help / lazy --help): ${ratio.toFixed(2)}x; --help ${help.wallMs < 500 ? 'meets' : 'misses'} the 0.5 s goal`,
  );
  if (args.includes('--json'))
    console.log(
      JSON.stringify({
        bench: 'cli',
        ratio,
        project_ms: help.wallMs,
        baseline_ms: eager.wallMs,
        baseline: 'eager program (every command and tfjs loaded)',
        rows,
        machine,
        repeats,
      }),
    );
}
