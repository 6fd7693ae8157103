/**
 * A broker outage longer than the consumer's former give-up time: the consumer keeps retrying while the broker is
 * away and consumes again by itself once it is back. Before, kafkajs' restarts were bounded (maxRestarts) for every
 * crash, so an outage of a few minutes stopped every consumer for good while the process stayed up.
 *
 * The broker is this file's own (own-broker.ts): killing the shared one would break every other test of the run.
 */
import { randomUUID } from 'node:crypto';
import { toolKafkaSasl } from '@hoso/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createEvent, dlqTopicOf } from '@hoso/contracts';
import {
  createKafka,
  createLogger,
  EventProducer,
  IdempotentConsumer,
  MESSAGING_MIGRATIONS,
  waitForTopicsServed,
} from '@hoso/messaging';
import { recordEffect, testCatalog } from '@hoso/messaging/testing';
import { createTestDatabase, dataSourceOptions } from '@hoso/persistence';
import { eventually, testEnv } from '@hoso/testing';
import { startOwnBroker, type OwnBroker } from './own-broker';

jest.setTimeout(300_000);

/** The former policy gave up after this many restarts in a row, whatever the crash. */
const MAX_RESTARTS = 2;

describe('a broker outage longer than the former give-up time', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hoso-outage-'));
  const catalog = testCatalog();
  const topic = Object.keys(catalog)[0] as keyof typeof catalog;
  let broker: OwnBroker;
  let ds: DataSource;
  let dropDb: () => Promise<void>;
  let producer: EventProducer;
  let consumer: IdempotentConsumer<typeof catalog>;
  const crashes: { restart: boolean; outage: boolean; error: string }[] = [];
  const fatal: Error[] = [];

  const effects = async (eventId: string) =>
    Number(
      (await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM effects WHERE event_id = $1', [eventId]))[0]?.n ?? 0,
    );
  const event = (seq: number) => {
    const dossierId = randomUUID();
    return createEvent(
      catalog,
      topic,
      { seq, note: 'outage' },
      { dossierId, correlationId: `c-${seq}`, producer: 't' },
    );
  };
  const send = (e: ReturnType<typeof event>) =>
    producer.sendBatch([{ topic, key: e.dossierId as string, value: JSON.stringify(e) }]);

  beforeAll(async () => {
    broker = await startOwnBroker(join(dataDir, 'broker'));
    const db = await createTestDatabase(testEnv.DATABASE_URL);
    dropDb = db.drop;
    ds = new DataSource(
      dataSourceOptions({ url: db.url, applicationName: 'hoso-test', migrations: MESSAGING_MIGRATIONS }),
    );
    await ds.initialize();
    await ds.runMigrations();
    await ds.query(`CREATE TABLE effects (
      id bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL, dossier_id uuid NOT NULL, seq int NOT NULL)`);
    const logger = createLogger('outage', process.env['TEST_LOG_LEVEL'] ?? 'silent');
    // Few, short client retries: each crash comes within seconds of the broker going away, not after minutes.
    const kafka = createKafka({
      clientId: 'outage',
      brokers: broker.brokers,
      sasl: toolKafkaSasl(),
      logger,
      retries: 2,
    });
    const admin = kafka.admin();
    await admin.connect();
    // Not waitForLeaders: kafkajs' wait fails outright on the answer a fresh broker gives; polled below instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 2, replicationFactor: 1 })),
    });
    await admin.disconnect();
    // A fresh broker answers "does not host this topic-partition" for a while after creating them.
    await waitForTopicsServed(kafka, [topic, dlqTopicOf(topic)], 60_000);
    producer = new EventProducer(kafka);
    consumer = new IdempotentConsumer({
      kafka,
      catalog,
      dataSource: ds,
      producer,
      logger,
      groupId: `outage-${randomUUID()}`,
      handlers: { [topic]: recordEffect('outage') },
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxRestarts: MAX_RESTARTS,
      restartBackoff: { initialMs: 200, maxMs: 1_000 },
      kafkaRetry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 },
      onCrash: ({ error, restart, outage }) => crashes.push({ restart, outage, error: error.message }),
      onFatal: (e) => fatal.push(e),
    });
    const assigned = consumer.waitForAssignment(60_000);
    await consumer.start();
    await assigned;
  });

  afterAll(async () => {
    await consumer.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await ds.destroy();
    await dropDb();
    await broker.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps retrying while the broker is down, then consumes again by itself once it is back', async () => {
    const before = event(1);
    await send(before);
    await eventually('the event before the outage applied', async () => (await effects(before.eventId)) === 1, 60_000);

    await broker.kill();
    // More crashes than the former policy allowed: it would have stopped the consumer for good by now.
    await eventually(
      `more than ${MAX_RESTARTS + 1} crashes while the broker is down`,
      () => Promise.resolve(crashes.length > MAX_RESTARTS + 2),
      120_000,
      200,
    );
    expect(crashes.every((c) => c.outage)).toBe(true);
    expect(fatal).toEqual([]);
    expect(consumer.isRunning()).toBe(true);

    await broker.start();
    const after = event(2);
    // The producer reconnects on its own; the send is retried here only while the broker's leaders settle.
    await eventually('the event sent after the outage produced', () => send(after).then(() => true), 60_000, 500);
    await eventually(
      'the event sent after the outage applied, with no restart by hand',
      async () => (await effects(after.eventId)) === 1,
      120_000,
      200,
    );
    expect(fatal).toEqual([]);
    expect(consumer.isRunning()).toBe(true);
    expect(await effects(before.eventId)).toBe(1);
  });
});
