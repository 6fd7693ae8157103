import { Redis, ReplyError } from 'ioredis';
import { parseRedisInfo, redisJobRisks } from '@hoso/nest-kit';
import type { RedisAccess, RedisUser } from './redis-acl';

/**
 * How `infra up` starts a Redis of its own. BullMQ holds the timers there (payment expiries, SLA deadlines, refund
 * jobs): an append-only file keeps them across a restart, and `noeviction` makes a full Redis refuse writes instead
 * of silently dropping jobs (BullMQ's own requirement). Whatever is lost anyway is rebuilt from PostgreSQL by each
 * service's TimerKeeper, but only within seconds of noticing.
 */
export function redisServerArgs(o: {
  port: number;
  dir: string;
  logfile: string;
  pidfile: string;
  /** The users (deploy/local/redis-acl.ts); without it the default user is on without a password. */
  aclfile?: string;
}): string[] {
  return [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    String(o.port),
    // No RDB snapshots: the append-only file is the persistence.
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--dir',
    o.dir,
    '--logfile',
    o.logfile,
    '--pidfile',
    o.pidfile,
    ...(o.aclfile ? ['--aclfile', o.aclfile] : []),
  ];
}

/** From a Redis server's `INFO` text: why it could lose BullMQ jobs (one sentence each), empty when it keeps them. */
export function redisJobWarnings(info: string): string[] {
  return redisJobRisks(parseRedisInfo(info));
}

export interface RedisInspection extends RedisAccess {
  /** `INFO` as the first identity allowed to run it (REDIS_URL's, else a user's); null when none was. */
  info: string | null;
}

/**
 * Checks the Redis at `url` without changing it: whether a client without a password is served, whether the URL's
 * own user is and which users exist (when it may list them), which of `logins` Redis accepts (AUTH only), and reads
 * `INFO`. Null when nothing answers.
 */
export async function inspectRedis(
  url: string,
  logins: Partial<Record<RedisUser, string>>,
  timeoutMs = 1500,
): Promise<RedisInspection | null> {
  const u = new URL(url);
  // Connected without credentials: each identity is tried in turn with AUTH, and a refused one is a finding.
  const redis = new Redis({
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(u.port || 6379),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // A refused connection is reported by connect(); the client must not also throw it from an 'error' event.
  redis.on('error', () => undefined);
  /** The server's answer: a ReplyError is one (NOAUTH, WRONGPASS, NOPERM); anything else means no answer. */
  const ask = async <T>(command: () => Promise<T>): Promise<{ value: T } | { refused: string }> => {
    try {
      return { value: await command() };
    } catch (e) {
      // ioredis types ReplyError as `any`; what it throws for an error reply is still an Error.
      if (e instanceof ReplyError) return { refused: (e as Error).message };
      throw e;
    }
  };
  try {
    await redis.connect();
    const ping = await ask(() => redis.ping());
    const defaultOpen = 'value' in ping;
    let urlRefused: string | null = 'refused' in ping ? ping.refused : null;
    if (u.password) {
      const user = decodeURIComponent(u.username || 'default');
      const auth = await ask(() => redis.auth(user, decodeURIComponent(u.password)));
      urlRefused = 'refused' in auth ? auth.refused : null;
    }
    const readInfo = async () => {
      const r = await ask(() => redis.info());
      return 'value' in r ? r.value : null;
    };
    let info: string | null = null;
    let users: string[] | null = null;
    if (urlRefused === null) {
      info = await readInfo();
      const listed = await ask(() => redis.call('ACL', 'USERS'));
      if ('value' in listed) users = (listed.value as unknown[]).map(String);
    }
    const accepted: RedisAccess['logins'] = {};
    for (const [user, password] of Object.entries(logins) as [RedisUser, string][]) {
      if (users !== null && !users.includes(user)) continue;
      const auth = await ask(() => redis.auth(user, password));
      accepted[user] = 'value' in auth;
      if (accepted[user] && info === null) info = await readInfo();
    }
    return { defaultOpen, urlRefused, users, logins: accepted, info };
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** The version in an `INFO` text, `?` when there is none. */
export function redisVersion(info: string | null): string {
  return (info === null ? undefined : /redis_version:([^\r\n]+)/.exec(info)?.[1]) ?? '?';
}
