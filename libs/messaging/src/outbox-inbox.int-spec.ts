import { eventually } from '@hoso/testing';
import { createHarness, countRows, type Harness } from './testing/harness';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay';
import { makeConsumer, outOfOrderDossiers, writeBusiness } from './testing/helpers';
import type { IdempotentConsumer } from './consumer';

describe('outbox → relay → Kafka → idempotent consumer', () => {
  let h: Harness;
  let relay: OutboxRelay;
  let consumer: IdempotentConsumer<Harness['catalog']>;

  beforeAll(async () => {
    h = await createHarness();
    relay = new OutboxRelay({
      dataSource: h.ds,
      producer: h.producer,
      logger: h.logger,
      batchSize: 100,
      pollIntervalMs: 20,
    });
    consumer = makeConsumer(h, `g-${h.id}`);
  });

  afterAll(async () => {
    await consumer.stop();
    await relay.stop();
    await h.close();
  });

  it('delivers N events written in business transactions exactly once, in order per dossier', async () => {
    const { eventIds } = await writeBusiness(h, 20, 25);
    relay.start();
    await consumer.start();

    await eventually('500 effects', async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects')) >= 500);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects')).toBe(500);
    expect(await countRows(h.ds, 'SELECT count(DISTINCT event_id) AS n FROM effects')).toBe(500);
    const effected = (await h.ds.query<{ event_id: string }[]>('SELECT event_id FROM effects')).map((r) => r.event_id);
    expect(new Set(effected)).toEqual(new Set(eventIds));
    expect(await outOfOrderDossiers(h)).toEqual([]);
    expect(await relay.backlog()).toBe(0);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_inbox')).toBe(500);
  });

  it('publishes nothing for a business transaction that rolled back', async () => {
    const outbox = new Outbox(h.catalog, 'test');
    let rolledBackId = '';
    await expect(
      h.ds.transaction(async (m) => {
        rolledBackId = await outbox.add(
          m,
          h.topic as never,
          { seq: 0, note: 'doomed' },
          {
            dossierId: '0193a0b0-0000-7000-8000-000000000001',
            correlationId: 'rollback',
          },
        );
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    // A later committed event is delivered; the rolled-back one never is.
    const { eventIds } = await writeBusiness(h, 1, 1);
    await eventually(
      'the later event',
      async () => (await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [eventIds[0]])) === 1,
    );
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM effects WHERE event_id = $1', [rolledBackId])).toBe(0);
    expect(
      await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox WHERE event_id = $1', [rolledBackId]),
    ).toBe(0);
  });

  it('refuses to write an outbox row outside a transaction, or a payload that breaks the contract', async () => {
    const outbox = new Outbox(h.catalog, 'test');
    await expect(
      outbox.add(
        h.ds.manager,
        h.topic as never,
        { seq: 1, note: 'x' },
        {
          dossierId: null,
          correlationId: 'c',
        },
      ),
    ).rejects.toThrow(/inside a transaction/);
    const before = await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox');
    await expect(
      h.ds.transaction(async (m) => {
        await m.query('INSERT INTO business (dossier_id, seq) VALUES ($1, 0)', [
          '0193a0b0-0000-7000-8000-000000000002',
        ]);
        await outbox.add(m, h.topic as never, { seq: -1 } as never, {
          dossierId: '0193a0b0-0000-7000-8000-000000000002',
          correlationId: 'c',
        });
      }),
    ).rejects.toThrow(/payload\.seq|payload\.note/);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox')).toBe(before);
    expect(
      await countRows(
        h.ds,
        "SELECT count(*) AS n FROM business WHERE dossier_id = '0193a0b0-0000-7000-8000-000000000002'",
      ),
    ).toBe(0);
  });

  it('cleans sent rows past retention and keeps unsent ones', async () => {
    const cleaner = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger, retentionMs: 0 });
    await h.ds.query(`UPDATE messaging_outbox SET sent_at = now() - interval '1 hour' WHERE sent_at IS NOT NULL`);
    const sent = await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NOT NULL');
    expect(sent).toBeGreaterThan(0);
    expect(await cleaner.cleanup()).toBe(sent);
    expect(await countRows(h.ds, 'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NOT NULL')).toBe(0);
  });
});
