import { randomUUID } from 'node:crypto';
import type { Kafka, Consumer } from 'kafkajs';
import { createEvent, type EventOf, type TopicOf } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { IdempotentConsumer } from './consumer';
import { countRows, createHarness, createTopicsWithDlq, twoTopicCatalog, type Harness } from './testing/harness';

/** The broker's OffsetCommit requests a consumer sends, counted from kafkajs's own instrumentation. */
function countingKafka(kafka: Kafka, commits: { topics: number }[]): Kafka {
  return new Proxy(kafka, {
    get(target, prop, receiver) {
      if (prop !== 'consumer') return Reflect.get(target, prop, receiver) as unknown;
      return (config: Parameters<Kafka['consumer']>[0]): Consumer => {
        const c = target.consumer(config);
        c.on(c.events.COMMIT_OFFSETS, (e: { payload: { topics: unknown[] } }) =>
          commits.push({ topics: e.payload.topics.length }),
        );
        return c;
      };
    },
  });
}

describe('offset commits: one request per flush, whatever the number of partitions in it', () => {
  let h: Harness;
  const catalog = twoTopicCatalog('oc');
  type C = typeof catalog;
  type T = TopicOf<C>;
  type E = EventOf<C, T>;
  const [first, then] = Object.keys(catalog) as [T, T];
  let consumer: IdempotentConsumer<C> | null = null;

  beforeAll(async () => {
    h = await createHarness();
    await createTopicsWithDlq(h, [first, then], 6);
  });

  afterAll(async () => {
    await consumer?.stop();
    await h.close();
  });

  it('commits the offsets of all partitions of a flush in one request, and they stick', async () => {
    const dossiers = Array.from({ length: 60 }, () => randomUUID());
    const ev = (topic: T, dossierId: string, seq: number): E =>
      createEvent(catalog, topic, { seq, note: 'n' }, { dossierId, correlationId: `c-${dossierId}`, producer: 'test' });
    // On the broker before the consumer starts: its first fetches return many partitions of both topics at once.
    const events = dossiers.flatMap((d) => [
      { topic: first, e: ev(first, d, 0) },
      { topic: then, e: ev(then, d, 1) },
    ]);
    await h.producer.sendBatch(
      events.map(({ topic, e }) => ({ topic, key: e.dossierId as string, value: JSON.stringify(e) })),
    );
    const commits: { topics: number }[] = [];
    const groupId = `oc-${h.id}`;
    consumer = new IdempotentConsumer<C>({
      kafka: countingKafka(h.kafka, commits),
      catalog,
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      groupId,
      handlers: {
        [first]: { each: () => Promise.resolve() },
        [then]: { each: () => Promise.resolve() },
      },
    });
    await consumer.start();
    await eventually(
      'every event applied',
      async () =>
        (await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox WHERE consumer = $1', [groupId])) ===
        events.length,
    );
    const c = consumer;
    await eventually('the last flush committed', async () => {
      const admin = h.kafka.admin();
      await admin.connect();
      try {
        let committed = 0;
        for (const t of [first, then]) {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [t] });
          for (const p of offsets?.partitions ?? []) committed += Math.max(0, Number(p.offset));
        }
        return committed === events.length;
      } finally {
        await admin.disconnect();
      }
    });
    // Several partitions per flush (12 partitions, 120 events), yet never more commit requests than flushes.
    expect(c.stats.batches).toBeGreaterThan(0);
    expect(c.stats.batches).toBeLessThan(events.length);
    expect(commits.length).toBeLessThanOrEqual(c.stats.batches);
    expect(Math.max(...commits.map((x) => x.topics))).toBeGreaterThanOrEqual(1);
  });
});
