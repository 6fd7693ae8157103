import { eventually } from '@hoso/testing';
import type { IdempotentConsumer } from './consumer';
import { Outbox } from './outbox';
import { EventProducer } from './producer';
import { OutboxRelay } from './relay';
import { createHarness, countRows, messagesIn, type Harness } from './testing/harness';
import { makeConsumer, outOfOrderDossiers, writeBusiness } from './testing/helpers';

describe('two relays and two consumers in one group at once', () => {
  let h: Harness;
  const relays: OutboxRelay[] = [];
  const consumers: IdempotentConsumer<Harness['catalog']>[] = [];
  const producers: EventProducer[] = [];

  beforeAll(async () => {
    h = await createHarness();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(producers.map((p) => p.disconnect()));
    await h.close();
  });

  it('a relay holding rows of a key blocks the other relay from that key only', async () => {
    const outbox = new Outbox(h.catalog, 'test');
    const keyA = '0193a0b0-0000-7000-8000-00000000000a';
    const write = (dossierId: string, seq: number) =>
      h.ds.transaction((m) =>
        outbox.add(m, h.topic as never, { seq, note: 'lock' }, { dossierId, correlationId: 'c' }),
      );
    for (let i = 0; i < 3; i++) await write(keyA, i);

    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((r) => (entered = r));
    const slow = new OutboxRelay({
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      batchSize: 2,
      afterPublish: async () => {
        entered();
        await held;
      },
    });
    const other = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger });
    const first = slow.runOnce();
    await inside;
    // The slow relay holds rows 0-1 of key A (and A's shard): row 2 of A must wait, or it would overtake them.
    expect(await other.runOnce()).toBe(0);
    release();
    expect(await first).toBe(2);
    expect(await other.runOnce()).toBe(1);
    expect(await messagesIn(h, h.topic)).toBe(3);
  });

  it('publishes and applies every event once, in order per dossier', async () => {
    await h.ds.query('DELETE FROM messaging_outbox');
    const before = await messagesIn(h, h.topic);
    for (let i = 0; i < 2; i++) {
      const producer = new EventProducer(h.kafka);
      producers.push(producer);
      const relay = new OutboxRelay({ dataSource: h.ds, producer, logger: h.logger, batchSize: 50, pollIntervalMs: 5 });
      relays.push(relay);
      relay.start();
      const consumer = makeConsumer(h, `g-${h.id}`, { partitionsConcurrently: 2 });
      consumers.push(consumer);
    }
    await Promise.all(consumers.map((c) => c.start()));
    // Writes race with both relays while the group balances between the two consumers.
    const { eventIds } = await writeBusiness(h, 30, 40);
    await eventually(
      '1200 effects',
      async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects')) >= 1200 + 3,
      90_000,
    );

    // Each row was published by exactly one relay, once: Kafka holds exactly the new events.
    expect(relays[0]!.published + relays[1]!.published).toBe(1200);
    expect(await messagesIn(h, h.topic)).toBe(before + 1200);
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = ANY($1::uuid[])', [eventIds]),
    ).toBe(1200);
    expect(await countRows(h.ds, 'SELECT count(DISTINCT event_id) AS n FROM effects')).toBe(1203);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(1203);
    expect(consumers[0]!.stats.processed + consumers[1]!.stats.processed).toBe(1203);
    expect(await outOfOrderDossiers(h)).toEqual([]);
  });
});
