import { randomUUID } from 'node:crypto';
import { createEvent, dlqTopicOf, type EventOf, type TopicOf } from '@hoso/contracts';
import { eventually } from '@hoso/testing';
import { IdempotentConsumer, type HandlerContext, type HandlerMap } from './consumer';
import {
  messagesIn,
  createHarness,
  createTopicsWithDlq,
  countRows,
  twoTopicCatalog,
  type Harness,
} from './testing/harness';

describe('set-based flushes: mixed topics in one transaction, batch handlers, filters, a poison event inside', () => {
  let h: Harness;
  const catalog = twoTopicCatalog('fl');
  type C = typeof catalog;
  type T = TopicOf<C>;
  type E = EventOf<C, T>;
  const [first, then] = Object.keys(catalog) as [T, T];
  let consumer: IdempotentConsumer<C> | null = null;

  beforeAll(async () => {
    h = await createHarness();
    await h.ds.query('ALTER TABLE effects ADD COLUMN topic text, ADD COLUMN tx bigint');
    await createTopicsWithDlq(h, [first, then], 6);
  });

  afterAll(async () => {
    await consumer?.stop();
    await h.close();
  });

  it('applies both topics of a fetch in shared transactions, batch handler once per flush, refused events without inbox rows', async () => {
    const dossiers = Array.from({ length: 12 }, () => randomUUID());
    const ev = (topic: T, dossierId: string, seq: number) =>
      createEvent(
        catalog,
        topic,
        { seq, note: seq % 2 ? 'odd' : 'even' },
        {
          dossierId,
          correlationId: `c-${dossierId}`,
          producer: 'test',
        },
      );
    const firsts = dossiers.map((d) => ev(first, d, 0));
    const thens = dossiers.flatMap((d) => [1, 2].map((seq) => ev(then, d, seq)));
    const poisonKey = dossiers[0] as string;
    // Everything is on the broker before the consumer starts: its first fetch returns both topics' partitions.
    await h.producer.sendBatch([
      ...firsts.map((e) => ({ topic: first, key: e.dossierId as string, value: JSON.stringify(e) })),
      { topic: then, key: poisonKey, value: '{"not": "an envelope"}' },
      ...thens.map((e) => ({ topic: then, key: e.dossierId as string, value: JSON.stringify(e) })),
    ]);

    const batchSizes: number[] = [];
    const record = async (
      events: readonly E[],
      manager: { query: (sql: string, p: unknown[]) => Promise<unknown> },
      topic: string,
    ) => {
      await manager.query(
        `INSERT INTO effects (consumer, event_id, dossier_id, seq, topic, tx)
         SELECT 'flush', e, d, s, $4, txid_current() FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS u(e, d, s)`,
        [events.map((e) => e.eventId), events.map((e) => e.dossierId), events.map((e) => e.payload.seq), topic],
      );
    };
    // `first` one event at a time; `then` as a batch handler that wants even seqs only (odd ones are skipped
    // without an inbox row).
    const handlers = (batch: (events: readonly E[], ctx: HandlerContext) => Promise<void>): HandlerMap<C> => ({
      [first]: { each: (e: E, ctx: HandlerContext) => record([e], ctx.manager, first) },
      [then]: { accepts: (e: E) => e.payload.seq % 2 === 0, batch },
    });
    consumer = new IdempotentConsumer<C>({
      kafka: h.kafka,
      catalog,
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      groupId: `flush-${h.id}`,
      initialBackoffMs: 10,
      handlers: handlers(async (events, ctx) => {
        batchSizes.push(events.length);
        await record(events, ctx.manager, then);
      }),
    });
    await consumer.start();

    await eventually(
      'every wanted event applied',
      async () => (await countRows(h.ds, "SELECT count(*) AS n FROM effects WHERE consumer = 'flush'")) === 24,
    );
    await eventually('the poison record dead-lettered', async () => (await messagesIn(h, dlqTopicOf(then))) === 1);

    const rows = await h.ds.query<{ topic: string; seq: number; tx: string }[]>(
      "SELECT topic, seq, tx::text AS tx FROM effects WHERE consumer = 'flush'",
    );
    expect(rows.filter((r) => r.topic === first)).toHaveLength(12);
    expect(rows.filter((r) => r.topic === then).map((r) => r.seq)).toEqual(Array(12).fill(2));
    // One transaction held events of both topics (per-partition batches were one transaction each before).
    const topicsPerTx = new Map<string, Set<string>>();
    for (const r of rows) topicsPerTx.set(r.tx, (topicsPerTx.get(r.tx) ?? new Set()).add(r.topic));
    expect([...topicsPerTx.values()].some((t) => t.size === 2)).toBe(true);
    expect(topicsPerTx.size).toBeLessThan(12);
    // The batch handler took several events at once, across partitions.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    // Refused (odd) events have no inbox row; applied ones have exactly one.
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox WHERE consumer = $1', [`flush-${h.id}`]),
    ).toBe(24);
    expect(consumer.stats.skipped).toBe(12);
    expect(consumer.stats.deadLettered).toBe(1);

    // A second group member started over the same offsets (a redelivery of everything) changes nothing.
    await consumer.stop();
    const again = new IdempotentConsumer<C>({
      kafka: h.kafka,
      catalog,
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      groupId: `flush-again-${h.id}`,
      name: `flush-${h.id}`,
      handlers: handlers((events, ctx) => record(events, ctx.manager, then)),
    });
    consumer = again;
    await again.start();
    await eventually('the redelivery seen as duplicates', () =>
      Promise.resolve(again.stats.duplicates === 24 || undefined),
    );
    expect(await countRows(h.ds, "SELECT count(*) AS n FROM effects WHERE consumer = 'flush'")).toBe(24);
  });
});
