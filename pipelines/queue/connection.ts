/**
 * `--queue URL` -> ioredis connection options for BullMQ.
 *
 *   redis://[user[:pass]@]HOST[:PORT][/DB]     plain TCP
 *   rediss://[user[:pass]@]HOST[:PORT][/DB]    TLS (server certificate checked against Node's CA
 *                                              store; add a private CA with NODE_EXTRA_CA_CERTS)
 *
 * user:pass are Redis 6+ ACL credentials (`:pass@` alone is the legacy AUTH password); both may
 * be percent-encoded. Every connection retries forever (`maxRetriesPerRequest: null`): workers and
 * coordinators wait through a Redis restart instead of failing their jobs.
 */
import { isIP } from 'node:net';
import { InputError } from '../../src/errors.ts';

export const DEFAULT_REDIS_PORT = 6379;

/** The BullMQ queue every command and worker of the project uses. */
export const QUEUE_NAME = 'assemblenet';

export interface QueueConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** Present for rediss:// (TLS); servername (SNI) is the URL's host unless it is an IP address. */
  tls?: { servername?: string };
  maxRetriesPerRequest: null;
  /** Reconnect delay, ms, after the n-th failed attempt: 100 ms growing to 2 s. */
  retryStrategy: (times: number) => number;
}

function decode(part: string, what: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InputError(
      `--queue: expected a percent-encoded ${what}, got malformed escapes in ${redactQueueUrl(url)}`,
    );
  }
}

export function parseQueueUrl(url: string): QueueConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(
      `--queue: expected redis://[user:pass@]host:port[/db] or rediss://..., got "${redactQueueUrl(url)}"`,
    );
  }
  const scheme = parsed.protocol;
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    throw new InputError(
      `--queue: expected a redis:// or rediss:// URL, got scheme "${scheme.replace(/:$/, '')}" in ${redactQueueUrl(url)}`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1'); // [::1] -> ::1
  if (!host) throw new InputError(`--queue: expected a host in ${redactQueueUrl(url)}, got none`);
  const port = parsed.port ? Number(parsed.port) : DEFAULT_REDIS_PORT;
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new InputError(
      `--queue: expected a database number after the port (/0../15), got "/${path}" in ${redactQueueUrl(url)}`,
    );
  }
  if (parsed.search || parsed.hash) {
    throw new InputError(
      `--queue: expected no query or fragment, got "${parsed.search}${parsed.hash}" in ${redactQueueUrl(url)}`,
    );
  }
  const username = parsed.username ? decode(parsed.username, 'user name', url) : undefined;
  const password = parsed.password ? decode(parsed.password, 'password', url) : undefined;
  return {
    host,
    port,
    db: path === '' ? 0 : Number(path),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(scheme === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  };
}

/** The URL with its password replaced by `***`, for logs and error messages. */
export function redactQueueUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
