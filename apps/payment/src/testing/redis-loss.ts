import type { Redis } from 'ioredis';

/** Escapes Redis glob characters, so a prefix matches only itself. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * What a FLUSHALL or a restart without persistence does to one test run, and only to it (the Redis is shared): every
 * BullMQ key under the run's queue prefix and the TimerKeeper's marker of the service. Returns how many keys went.
 */
export async function loseRedisData(
  redis: Redis,
  o: { queuePrefix: string; namespace: string; service: string },
): Promise<number> {
  if (o.queuePrefix === '') throw new Error('refusing to delete every BullMQ key: the run has no queue prefix');
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${globEscape(o.queuePrefix)}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  deleted += await redis.del(`hoso:timers:${o.namespace}${o.service}`);
  return deleted;
}
