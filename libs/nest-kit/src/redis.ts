import { Redis } from 'ioredis';

/**
 * An ioredis client for BullMQ and caches. `maxRetriesPerRequest: null` is what BullMQ workers require;
 * commands wait for a reconnect instead of failing while Redis restarts.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
  });
}
