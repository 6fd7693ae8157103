import { Redis } from 'ioredis';

export interface RedisRole {
  /**
   * A connection that only adds, reads or removes jobs (a BullMQ Queue, a cache): commands fail after
   * `commandTimeoutMs` instead of waiting for Redis to come back, and nothing is queued while it is away. Callers
   * run after their database commit and leave a failed add to the timer rebuild (TimerKeeper), so a frozen or
   * restarting Redis delays a timer, never a request or an open transaction.
   */
  failFast?: boolean;
  commandTimeoutMs?: number;
}

/**
 * An ioredis client for BullMQ and caches. By default `maxRetriesPerRequest: null`, which BullMQ workers require:
 * their blocking reads wait for a reconnect instead of failing while Redis restarts. Producers ask for `failFast`.
 */
export function createRedis(url: string, name: string, role: RedisRole = {}): Redis {
  if (role.failFast) {
    return new Redis(url, {
      connectionName: name,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: role.commandTimeoutMs ?? 2_000,
      enableReadyCheck: true,
      lazyConnect: false,
    });
  }
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}
