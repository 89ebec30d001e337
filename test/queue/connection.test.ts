/**
 * --queue URLs: parsing (ACL user:pass, db, rediss:// TLS, errors that name the problem without
 * printing the password), and real connections to a local redis-server with ACL users and TLS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQueueUrl, redactQueueUrl } from '../../pipelines/queue/connection.ts';
import { queueStatus } from '../../pipelines/queue/status.ts';
import { runProcess } from '../fixtures/runProcess.ts';
import { type RedisServer, startRedis } from './redisServer.ts';

const CLI = join(import.meta.dirname, '../../bin/assemblenet.mjs');
const servers: RedisServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
});

describe('parseQueueUrl', () => {
  it('reads host, port, db and ACL credentials (percent-decoded)', () => {
    const c = parseQueueUrl('redis://worker%40lab:p%3Ass@10.1.2.3:6380/4');
    expect(c).toMatchObject({
      host: '10.1.2.3',
      port: 6380,
      db: 4,
      username: 'worker@lab',
      password: 'p:ss',
      maxRetriesPerRequest: null,
    });
    expect(c.tls).toBeUndefined();
  });

  it('defaults port 6379 and db 0; a password alone is the legacy AUTH password', () => {
    const c = parseQueueUrl('redis://:secret@queue.example');
    expect(c).toMatchObject({ host: 'queue.example', port: 6379, db: 0, password: 'secret' });
    expect(c.username).toBeUndefined();
  });

  it('turns on TLS for rediss://, with SNI for host names only', () => {
    expect(parseQueueUrl('rediss://queue.example:6390').tls).toEqual({
      servername: 'queue.example',
    });
    expect(parseQueueUrl('rediss://127.0.0.1:6390').tls).toEqual({});
  });

  it('refuses other schemes, a non-numeric db and queries, without printing the password', () => {
    expect(() => parseQueueUrl('http://u:hunter2@host:1')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => parseQueueUrl('http://u:hunter2@host:1')).not.toThrow(/hunter2/);
    expect(() => parseQueueUrl('redis://host:1/jobs')).toThrow(/database number.*"\/jobs"/);
    expect(() => parseQueueUrl('redis://host:1/0?x=1')).toThrow(/no query/);
    expect(() => parseQueueUrl('not a url')).toThrow(/expected redis:\/\//);
    expect(redactQueueUrl('redis://u:hunter2@host:1/0')).toBe('redis://u:***@host:1/0');
    expect(redactQueueUrl('redis://host:1')).toBe('redis://host:1');
  });

  it('backs off reconnects from 100 ms to at most 2 s', () => {
    const { retryStrategy } = parseQueueUrl('redis://h');
    expect([1, 2, 3, 10, 100].map(retryStrategy)).toEqual([200, 400, 800, 2000, 2000]);
  });
});

describe('real connections', () => {
  it('connects with an ACL user and refuses a wrong password', async () => {
    const server = await startRedis([
      '--user',
      'default',
      'off',
      '--user',
      'coordinator',
      'on',
      '>s3cret',
      '~*',
      '&*',
      '+@all',
    ]);
    servers.push(server);
    const url = `redis://coordinator:s3cret@127.0.0.1:${server.port}`;
    const status = await queueStatus(url);
    expect(status.queue).toBe(`redis://coordinator:***@127.0.0.1:${server.port}`);
    expect(status.counts.waiting).toBe(0);
    await expect(queueStatus(`redis://coordinator:wrong@127.0.0.1:${server.port}`)).rejects.toThrow(
      /WRONGPASS|invalid username-password/,
    );
    // the CLI prints the failure as an error, never the password
    const cli = await runProcess('node', [
      CLI,
      'queue',
      'status',
      '--queue',
      `redis://coordinator:wrong@127.0.0.1:${server.port}`,
    ]);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).not.toContain('wrong@');
  }, 60_000);

  it('connects over TLS (rediss://) to a server whose CA is in NODE_EXTRA_CA_CERTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    const openssl = (...args: string[]) => {
      const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr}`);
    };
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    );
    const server = await startRedis([
      '--tls-port',
      'auto',
      '--tls-cert-file',
      join(dir, 'server.pem'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.pem'),
      '--tls-auth-clients',
      'no',
    ]);
    servers.push(server);
    expect(server.url).toMatch(/^rediss:\/\//);
    const run = (extraCa: boolean) =>
      runProcess('node', [CLI, 'queue', 'status', '--queue', server.url, '--json'], {
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: extraCa ? join(dir, 'ca.pem') : '',
        },
      });
    const trusted = await run(true);
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout.trim().split('\n').at(-1)!).counts.failed).toBe(0);
    // without the CA the certificate is refused: the connection really is TLS and checked
    const untrusted = await run(false);
    expect(untrusted.status).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/i);
  }, 60_000);
});
