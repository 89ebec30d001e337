/**
 * A real redis-server for the queue tests: a free loopback port, no persistence (no RDB, no
 * AOF), its files in a temporary folder. `restart()` stops it and starts it again on the same
 * port (an empty Redis: what a restart without persistence leaves).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  /** Extra redis-server arguments it was started with. */
  args: string[];
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, args: string[]): Promise<void> {
  const tls = args.includes('--tls-port');
  const started = Date.now();
  while (Date.now() - started < 10_000) {
    const ping = spawnSync('redis-cli', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...(tls ? ['--tls', '--insecure'] : []),
      ...(args.includes('--requirepass') ? ['-a', args[args.indexOf('--requirepass') + 1]!] : []),
      'ping',
    ]);
    const out = `${ping.stdout}`;
    if (out.includes('PONG') || out.includes('NOAUTH')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const tls = extraArgs.includes('--tls-port');
  const args = [
    ...(tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...extraArgs.filter(
      (_, i) => !(extraArgs[i] === '--tls-port' || extraArgs[i - 1] === '--tls-port'),
    ),
  ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPing(port, extraArgs);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    args,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
