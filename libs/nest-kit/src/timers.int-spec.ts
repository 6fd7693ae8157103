import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { eventually, testEnv } from '@hoso/testing';
import { createRedis } from './redis';
import { parseRedisInfo, redisJobRisks, TimerKeeper } from './timers';

describe('TimerKeeper: jobs rebuilt from the committed state when Redis loses them', () => {
  const redis = createRedis(testEnv.REDIS_URL, 'timers-test');
  afterAll(async () => {
    await redis.quit();
  });

  it('runs its sources at start, again when its marker disappears (a flush), and periodically', async () => {
    const namespace = `t-${randomUUID()}-`;
    const keeper = new TimerKeeper(redis, pino({ level: 'silent' }), {
      service: 'svc',
      namespace,
      checkEveryMs: 50,
      rebuildEveryMs: 60_000,
    });
    let ensured = 0;
    let failNext = false;
    keeper.register({
      name: 'test',
      ensure: () => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('database away'));
        }
        ensured += 1;
        return Promise.resolve(1);
      },
    });
    await keeper.onApplicationBootstrap();
    try {
      const marker = `hoso:timers:${namespace}svc`;
      await eventually('ensured at start', async () => ensured === 1 && (await redis.exists(marker)) === 1, 5_000);
      // Quiet while nothing was lost (the periodic rebuild is a minute away).
      await keeper.check();
      expect(ensured).toBe(1);
      // What a FLUSHALL does to this service's keys: the next check rebuilds.
      await redis.del(marker);
      await eventually('rebuilt after the loss', () => Promise.resolve(ensured === 2), 5_000);
      expect(await redis.exists(marker)).toBe(1);
      // A rebuild that fails leaves the marker unset, so the next check tries again.
      failNext = true;
      await redis.del(marker);
      await eventually('retried after a failed rebuild', () => Promise.resolve(ensured === 3), 5_000);
    } finally {
      await keeper.onApplicationShutdown();
      await redis.del(`hoso:timers:${namespace}svc`);
    }
  });

  it('names the settings under which Redis can lose jobs', () => {
    expect(
      redisJobRisks(parseRedisInfo('# Memory\r\nmaxmemory_policy:allkeys-lru\r\n# Persistence\r\naof_enabled:0\r\n')),
    ).toEqual([
      'maxmemory-policy is allkeys-lru: Redis may evict queued jobs under memory pressure (use noeviction)',
      'appendonly is off: a Redis restart loses the jobs written since its last snapshot',
    ]);
    expect(redisJobRisks(parseRedisInfo('maxmemory_policy:noeviction\naof_enabled:1\n'))).toEqual([]);
  });
});
