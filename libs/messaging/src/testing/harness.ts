import { randomBytes } from 'node:crypto';
import { toolKafkaSasl } from '@hoso/config';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineCatalog, defineTopic, dlqTopicOf } from '@hoso/contracts';
import { createKafka } from '../kafka';
import { createLogger, type Logger } from '../logger';
import { MESSAGING_MIGRATIONS } from '../messaging-tables';
import { EventProducer } from '../producer';
import { createTestDatabase, dataSourceOptions } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';

/** Lowercase letters only: topic types must look like `area.verb`. */
function runId(): string {
  return Array.from(randomBytes(8), (b) => String.fromCharCode(97 + (b % 26))).join('');
}

export const TestPayload = z.looseObject({ seq: z.number().int().nonnegative(), note: z.string() });

/** A private catalog per test file, so parallel test files never read each other's events. */
export function testCatalog(id = runId()) {
  return defineCatalog([
    defineTopic({
      type: `it${id}.thing-happened`,
      version: 1,
      producer: 'test',
      summary: 'test events',
      schema: TestPayload,
    }),
  ]);
}

export interface Harness {
  id: string;
  /** The test database, for a child process of the test. */
  dbUrl: string;
  catalog: ReturnType<typeof testCatalog>;
  topic: string;
  dlq: string;
  ds: DataSource;
  logger: Logger;
  kafka: ReturnType<typeof createKafka>;
  producer: EventProducer;
  close: () => Promise<void>;
}

/**
 * A fresh database (with the messaging tables and an `effects` table that has NO unique constraint, so a
 * duplicated effect would show), a private topic and its DLQ with 6 partitions, a Kafka client and producer.
 */
export async function createHarness(): Promise<Harness> {
  const id = runId();
  const catalog = testCatalog(id);
  const topic = Object.keys(catalog)[0] as string;
  const db = await createTestDatabase(testEnv.DATABASE_URL);
  const ds = new DataSource(
    dataSourceOptions({
      url: db.url,
      applicationName: 'hoso-test',
      migrations: MESSAGING_MIGRATIONS,
      poolSize: 20,
    }),
  );
  await ds.initialize();
  await ds.runMigrations();
  await ds.query(`CREATE TABLE effects (
    id bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL, dossier_id uuid NOT NULL, seq int NOT NULL)`);
  await ds.query(`CREATE TABLE business (id bigserial PRIMARY KEY, dossier_id uuid NOT NULL, seq int NOT NULL)`);
  const logger = createLogger(`it-${id}`, process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const kafka = createKafka({ clientId: `it-${id}`, brokers: testEnv.KAFKA_BROKERS, sasl: toolKafkaSasl(), logger });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 6, replicationFactor: 1 })),
  });
  await admin.disconnect();
  const producer = new EventProducer(kafka);
  await producer.connect();
  return {
    id,
    dbUrl: db.url,
    catalog,
    topic,
    dlq: dlqTopicOf(topic),
    ds,
    logger,
    kafka,
    producer,
    close: async () => {
      await producer.disconnect();
      await ds.destroy();
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [topic, dlqTopicOf(topic)] }).catch(() => undefined);
      await a.disconnect();
      await db.drop();
    },
  };
}

export async function countRows(ds: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  const rows = await ds.query<{ n: number | string }[]>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/** Sum of end offsets of a topic: how many messages it holds. */
export async function messagesIn(h: Harness, topic: string): Promise<number> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Two topics of one private catalog (`<prefix><id>.first-happened`, `….then-happened`), so that one flush can hold both. */
export function twoTopicCatalog(prefix: string) {
  const id = runId();
  return defineCatalog([
    defineTopic({
      type: `${prefix}${id}.first-happened`,
      version: 1,
      producer: 'test',
      summary: 'a',
      schema: TestPayload,
    }),
    defineTopic({
      type: `${prefix}${id}.then-happened`,
      version: 1,
      producer: 'test',
      summary: 'b',
      schema: TestPayload,
    }),
  ]);
}

/** Creates each topic and its dead-letter topic on the broker, with `partitions` partitions each. */
export async function createTopicsWithDlq(h: Harness, topics: readonly string[], partitions: number): Promise<void> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics
        .flatMap((t) => [t, dlqTopicOf(t)])
        .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}
