import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { createEvent, defineCatalog, defineTopic, factKeyOf, type EventOf, type TopicOf } from '@hoso/contracts';
import { createTestDatabase, dataSourceOptions } from '@hoso/persistence';
import { eventually, testEnv } from '@hoso/testing';
import { claimInbox, IdempotentConsumer, type HandlerContext } from './consumer';
import { InboxFactKey1765300000000, MessagingTables1764115200000 } from './messaging-tables';
import { countRows, createHarness, createTopicsWithDlq, TestPayload, type Harness } from './testing/harness';

/**
 * Two topics: one without a declared fact (its key is the payload's hash) and one whose fact is a payload field
 * (`ref`), so a re-announcement with a recomputed time is still the same fact.
 */
function factCatalog() {
  const id = Array.from(randomBytes(8), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return defineCatalog([
    defineTopic({ type: `rf${id}.noted`, version: 1, producer: 'test', summary: 'hashed', schema: TestPayload }),
    defineTopic({
      type: `rf${id}.paid`,
      version: 1,
      producer: 'test',
      summary: 'declared',
      schema: z.looseObject({ ref: z.uuid(), at: z.iso.datetime() }),
      factKey: ['ref'],
    }),
  ]);
}

describe('the same fact under a new event id is applied once', () => {
  let h: Harness;
  const catalog = factCatalog();
  type C = typeof catalog;
  type T = TopicOf<C>;
  const [noted, paid] = Object.keys(catalog) as [T, T];
  const consumers: IdempotentConsumer<C>[] = [];
  /** When set, every handler call fails while it returns true (to force the per-event path). */
  let failWhile: (() => boolean) | null = null;

  beforeAll(async () => {
    h = await createHarness();
    await h.ds.query('ALTER TABLE effects ADD COLUMN topic text');
    await createTopicsWithDlq(h, [noted, paid], 6);
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await h.close();
  });

  const record = async (e: EventOf<C, T>, ctx: HandlerContext) => {
    if (failWhile?.()) throw new Error('handler fails for now');
    const seq = (e.payload as { seq?: number }).seq ?? -1;
    await ctx.manager.query(
      'INSERT INTO effects (consumer, event_id, dossier_id, seq, topic) VALUES ($1, $2, $3, $4, $5)',
      ['facts', e.eventId, e.dossierId, seq, ctx.topic],
    );
  };

  function start(name: string): Promise<IdempotentConsumer<C>> {
    const consumer = new IdempotentConsumer<C>({
      kafka: h.kafka,
      catalog,
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      groupId: `${name}-${h.id}`,
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      // Every event of a topic in one call (the set-based path) for `paid`; one call per event for `noted`.
      handlers: {
        [noted]: { each: record },
        [paid]: {
          batch: async (events: readonly EventOf<C, T>[], ctx: HandlerContext) => {
            for (const e of events) await record(e, ctx);
          },
        },
      },
    });
    consumers.push(consumer);
    return consumer.start().then(() => consumer);
  }

  const notedType = (catalog[noted] as { type: string }).type;
  const topicOf = (e: EventOf<C, T>): T => (e.type === notedType ? noted : paid);
  const send = (events: EventOf<C, T>[]) =>
    h.producer.sendBatch(
      events.map((e) => ({
        topic: topicOf(e),
        key: e.dossierId as string,
        value: JSON.stringify(e),
      })),
    );

  /** A fact and its re-announcement: same payload and dossier, a new event id and envelope time. */
  const noteOf = (dossierId: string, seq: number) =>
    createEvent(catalog, noted, { seq, note: 'same' }, { dossierId, correlationId: `c-${dossierId}`, producer: 't' });
  const again = (e: EventOf<C, T>, payload: unknown = e.payload) =>
    createEvent(catalog, topicOf(e), payload as never, {
      dossierId: e.dossierId,
      correlationId: `retry-${randomUUID()}`,
      producer: 't',
      occurredAt: new Date(Date.now() + 1_000),
    });
  const paidOf = (dossierId: string) =>
    createEvent(
      catalog,
      paid,
      { ref: randomUUID(), at: new Date().toISOString() },
      { dossierId, correlationId: `c-${dossierId}`, producer: 't' },
    );

  const effects = async (dossiers: string[]) =>
    h.ds.query<{ dossier_id: string; topic: string; seq: number }[]>(
      'SELECT dossier_id, topic, seq FROM effects WHERE dossier_id = ANY($1) ORDER BY dossier_id, topic, seq',
      [dossiers],
    );

  it('in one flush, across flushes, and in the per-event path', async () => {
    // One flush: each fact and its re-announcement are on the broker before the consumer starts.
    const dossiers = Array.from({ length: 8 }, () => randomUUID());
    const notes = dossiers.flatMap((d) => [noteOf(d, 1), noteOf(d, 2)]);
    const payments = dossiers.map((d) => paidOf(d));
    const firstRound = [
      ...notes,
      ...notes.map((e) => again(e)),
      ...payments,
      // The producer recomputed the time on its retry: still the same payment (its declared fact key).
      ...payments.map((e) => again(e, { ...e.payload, at: new Date(Date.now() + 5_000).toISOString() })),
    ];
    await send(firstRound);
    const consumer = await start('facts');
    await eventually('the first round consumed', () =>
      Promise.resolve(consumer.stats.processed + consumer.stats.duplicates === firstRound.length || undefined),
    );
    expect(consumer.stats.processed).toBe(notes.length + payments.length);
    expect(consumer.stats.duplicates).toBe(notes.length + payments.length);
    const applied = await effects(dossiers);
    // Two distinct facts per dossier on `noted` (seq 1 and 2: the key does not merge them), one payment.
    expect(applied).toHaveLength(dossiers.length * 3);
    for (const d of dossiers) {
      expect(applied.filter((r) => r.dossier_id === d).map((r) => [r.topic, r.seq])).toEqual(
        [
          [noted, 1],
          [noted, 2],
          [paid, -1],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])),
      );
    }

    // Across flushes: the same facts once more, each under yet another event id, after the first ones committed.
    const secondRound = [...notes.map((e) => again(e)), ...payments.map((e) => again(e))];
    await send(secondRound);
    await eventually('the second round seen as duplicates', () =>
      Promise.resolve(consumer.stats.duplicates === notes.length + payments.length + secondRound.length || undefined),
    );
    expect(await effects(dossiers)).toEqual(applied);

    // The per-event path (a handler failed in the set-based pass): new facts and their re-announcements in one
    // fetch, each retried on its own with a savepoint; the re-announcement finds the fact's inbox row.
    let failures = 2;
    failWhile = () => failures-- > 0;
    const later = Array.from({ length: 3 }, () => randomUUID());
    const laterNotes = later.map((d) => noteOf(d, 7));
    const laterPayments = later.map((d) => paidOf(d));
    const thirdRound = [
      ...laterNotes,
      ...laterNotes.map((e) => again(e)),
      ...laterPayments,
      ...laterPayments.map((e) => again(e)),
    ];
    const before = { ...consumer.stats };
    await send(thirdRound);
    await eventually('the third round consumed', () =>
      Promise.resolve(
        consumer.stats.processed + consumer.stats.duplicates - before.processed - before.duplicates ===
          thirdRound.length || undefined,
      ),
    );
    expect(consumer.stats.retries).toBeGreaterThan(before.retries);
    expect(consumer.stats.deadLettered).toBe(0);
    expect(consumer.stats.processed - before.processed).toBe(later.length * 2);
    expect(consumer.stats.duplicates - before.duplicates).toBe(later.length * 2);
    const laterApplied = await effects(later);
    expect(laterApplied).toHaveLength(later.length * 2);
    // One inbox row per applied event, each with its fact key.
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox WHERE consumer = $1 AND fact_key IS NOT NULL', [
        `facts-${h.id}`,
      ]),
    ).toBe(notes.length + payments.length + later.length * 2);
    failWhile = null;
  });
});

describe('the inbox fact key on a database migrated before it', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase(testEnv.DATABASE_URL);
    drop = db.drop;
    ds = new DataSource(
      dataSourceOptions({ url: db.url, applicationName: 'hoso-test', migrations: [MessagingTables1764115200000] }),
    );
    await ds.initialize();
    await ds.runMigrations();
  });

  afterAll(async () => {
    await ds.destroy();
    await drop();
  });

  it('keeps the rows written before it (null key, never in conflict) and dedupes the facts claimed after it', async () => {
    const old = [randomUUID(), randomUUID()].map((id, i) => ({ id, i }));
    for (const { id, i } of old) {
      await ds.query(
        `INSERT INTO messaging_inbox (consumer, event_id, topic, "partition", "offset") VALUES ('c', $1, 't', 0, $2)`,
        [id, i],
      );
    }
    // The release's migration runs on the live table.
    const withKey = new DataSource({
      ...ds.options,
      migrations: [MessagingTables1764115200000, InboxFactKey1765300000000],
    });
    await withKey.initialize();
    try {
      expect((await withKey.runMigrations()).map((m) => m.name)).toEqual(['InboxFactKey1765300000000']);
      expect(await countRows(withKey, 'SELECT count(*) AS n FROM messaging_inbox WHERE fact_key IS NULL')).toBe(2);
      const claim = (eventId: string, factKey: string, offset: number) =>
        claimInbox(withKey.manager, 'c', [{ eventId, factKey, topic: 't', partition: 0, offset: String(offset) }]);
      // A redelivery of an old event is still known by its id.
      expect((await claim(old[0]!.id, 't/d/k1', 10)).size).toBe(0);
      // A new fact, then the same fact under a new id (in one statement and in a later one): applied once.
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const fresh = await claimInbox(withKey.manager, 'c', [
        { eventId: a, factKey: 't/d/k2', topic: 't', partition: 0, offset: '11' },
        { eventId: b, factKey: 't/d/k2', topic: 't', partition: 0, offset: '12' },
      ]);
      expect([...fresh]).toEqual([a]);
      expect((await claim(c, 't/d/k2', 13)).size).toBe(0);
      // Another consumer keeps its own facts.
      expect(
        (
          await claimInbox(withKey.manager, 'other', [
            { eventId: c, factKey: 't/d/k2', topic: 't', partition: 0, offset: '13' },
          ])
        ).size,
      ).toBe(1);
      // Rows without a key (a consumer of the previous release during a rolling deployment) never conflict.
      await withKey.query(
        `INSERT INTO messaging_inbox (consumer, event_id, topic, "partition", "offset") VALUES ('c', $1, 't', 0, 14)`,
        [randomUUID()],
      );
      expect(await countRows(withKey, 'SELECT count(*) AS n FROM messaging_inbox WHERE fact_key IS NULL')).toBe(3);
    } finally {
      await withKey.destroy();
    }
  });

  it('is the same key the consumer derives from a decoded event', () => {
    const cat = factCatalog();
    const [t] = Object.keys(cat) as [TopicOf<typeof cat>];
    const dossierId = randomUUID();
    const e = createEvent(cat, t, { seq: 1, note: 'x' }, { dossierId, correlationId: 'c', producer: 't' });
    expect(factKeyOf(cat, t, e)).toMatch(new RegExp(`^${t.replace(/\./g, '\\.')}/${dossierId}/[A-Za-z0-9_-]{43}$`));
  });
});
