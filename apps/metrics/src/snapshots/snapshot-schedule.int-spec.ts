import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createRedis, createServiceApp, TimerKeeper } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from '../app.module';
import { loadConfig } from '../config';
import { SnapshotJobs } from './snapshot-jobs';

jest.setTimeout(90_000);

/**
 * The snapshot schedule exists only in Redis: when Redis loses its data the TimerKeeper notices its marker gone
 * and upserts the schedule again. Only this run's keys are deleted (its queue prefix, its marker): the Redis is shared.
 */
describe('metrics snapshot schedule after Redis lost its data', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let redis: Redis;

  beforeAll(async () => {
    env = await createTestEnvironment(['metrics']);
    const config = loadConfig({
      // Development mode: the pool connects as the test server's superuser (docs/security.md, "Database roles").
      HOSO_DEV_MODE: '1',
      DATABASE_URL: testEnv.DATABASE_URL,
      METRICS_DATABASE_URL: env.databases['metrics'],
      ...env.kafkaEnv('metrics'),
      KAFKA_BROKERS: env.brokers.join(','),
      REDIS_URL: env.redisUrl,
      AUTH_JWKS_URL: env.issuer.jwksUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      KAFKA_GROUP_ID: `${env.topicPrefix}metrics`,
      SNAPSHOT_EVERY_SEC: '3600',
      LOG_LEVEL: 'silent',
    });
    const logger = pino({ level: 'silent' });
    app = await createServiceApp(AppModule.forRoot(config, logger), {
      name: 'metrics',
      title: 't',
      description: 't',
      logger,
    });
    await app.init();
    redis = createRedis(env.redisUrl, 'snapshot-schedule-test');
  });

  afterAll(async () => {
    await redis.quit();
    await app.close();
    await env.close();
  });

  it('is scheduled at start and again once its keys are gone', async () => {
    const jobs = app.get(SnapshotJobs);
    const keeper = app.get(TimerKeeper);
    const scheduled = async () => (await jobs.queue.getJobScheduler('snapshot'))?.every;
    const marker = `hoso:timers:${env.topicPrefix}metrics`;
    await eventually('scheduled at start', async () => (await scheduled()) === 3_600_000, 10_000);
    // The start rebuild sets its marker after its sources ran: deleting before that SET lands would leave the
    // marker in place and no loss to detect.
    await eventually('the start rebuild finished', async () => (await redis.exists(marker)) === 1, 10_000);

    // The run's BullMQ keys and the keeper's marker, as a FLUSHALL would leave them.
    const prefix = jobs.queueName.replace(/[*?[\]\\]/g, '\\$&');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `bull:${prefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys, marker);
    expect(await scheduled()).toBeUndefined();
    const rebuilds = keeper.rebuildCount;

    // Both at once: the schedule is back and the keeper is what brought it back.
    await eventually(
      'scheduled again by a rebuild',
      async () => keeper.rebuildCount > rebuilds && (await scheduled()) === 3_600_000,
      20_000,
    );
  });
});
