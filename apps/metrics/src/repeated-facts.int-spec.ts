import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, type Envelope, type Topic } from '@hoso/contracts';
import { EventProducer, MessagingService } from '@hoso/messaging';
import { duplicatesSeen, reannounce, sendEvents, snapshotTables } from '@hoso/messaging/testing';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually, testEnv } from '@hoso/testing';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import { replayAndCompare } from './replay/replay';
import { scenario } from './testing/scenario';

jest.setTimeout(120_000);

/**
 * Every fact of the scripted dossiers announced again under new event ids: the projection (counts, rates) does not
 * move, and a replay from offset zero — which reads both announcements — counts each fact once too.
 */
describe('metrics: re-announced facts change nothing', () => {
  let env: TestEnvironment;
  let app: INestApplication;
  let ds: DataSource;
  let producer: EventProducer;
  let groupId: string;
  // As in metrics.int-spec: 3 h ahead in the first hours of a Vietnamese month, so the events stay in this month.
  const vnNow = new Date(Date.now() + 7 * 3600_000);
  const shiftMs = vnNow.getUTCDate() === 1 && vnNow.getUTCHours() < 3 ? 3 * 3600_000 : 0;
  const clock = { now: () => new Date(Date.now() + shiftMs) };

  beforeAll(async () => {
    env = await createTestEnvironment(['metrics']);
    groupId = `${env.topicPrefix}metrics`;
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
      KAFKA_GROUP_ID: groupId,
      KNOWN_GROUPS: groupId,
      // No scheduled snapshot or operations sample writes during the comparison.
      SNAPSHOT_EVERY_SEC: '3600',
      OPS_SAMPLE_EVERY_MS: '3600000',
      LOG_LEVEL: 'silent',
    });
    const logger = pino({ level: 'silent' });
    app = await createServiceApp(AppModule.forRoot(config, logger, { clock }), {
      name: 'metrics',
      title: 't',
      description: 't',
      logger,
    });
    await app.init();
    ds = app.get(DataSource);
    producer = new EventProducer(env.kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await app.close();
    await env.close();
  });

  it('projects each fact once, live and in a replay', async () => {
    const events: { topic: Topic; event: Envelope }[] = scenario(clock.now()).events.map((e) => ({
      topic: e.topic,
      event: createEvent(catalog, e.topic, e.payload as never, {
        dossierId: (e.payload as { dossierId: string }).dossierId,
        correlationId: `test-${uuidv7()}`,
        producer: 'test',
      }),
    }));
    await sendEvents(producer, catalog, env.topicPrefix, events);
    await eventually('every scripted event projected', async () => {
      const [r] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM messaging_inbox`);
      return r?.n === events.length;
    });
    const query = (sql: string, p?: unknown[]) => ds.query(sql, p);
    const before = await snapshotTables(query);
    expect(Object.values(before).some((rows) => rows.length > 0)).toBe(true);

    const stats = () => app.get(MessagingService).consumer?.stats;
    const duplicates = stats()?.duplicates ?? 0;
    const again = events.map(({ topic, event }) => ({ topic, event: reannounce(catalog, topic, event) }));
    await sendEvents(producer, catalog, env.topicPrefix, again);
    await duplicatesSeen(stats, duplicates, again.length);
    expect(await snapshotTables(query)).toEqual(before);

    // The replay reads every announcement from offset zero into a fresh database and claims them as live does.
    const report = await replayAndCompare({
      kafka: env.kafka,
      serverUrl: testEnv.DATABASE_URL,
      live: ds,
      topicPrefix: env.topicPrefix,
      liveGroupId: groupId,
      now: clock.now(),
    });
    expect(report.read).toBe(events.length * 2);
    expect(report.applied).toBe(events.length);
    expect(report.differences).toEqual([]);
  });
});
