import { DataSource } from 'typeorm';
import { dataSourceOptions, startOwnPostgres, type OwnPostgres } from '@hoso/persistence';
import { eventually } from '@hoso/testing';
import type { IdempotentConsumer } from './consumer';
import { MESSAGING_MIGRATIONS } from './messaging-tables';
import { OutboxRelay } from './relay';
import { createHarness, countRows, type Harness } from './testing/harness';
import { makeConsumer, writeBusiness } from './testing/helpers';

/**
 * `asyncCommit` (for projections rebuilt from Kafka): flushes commit without waiting for fsync. The consumer's
 * database is a PostgreSQL server of the test's own whose WAL writer waits 10 s, so the last flushes sit in WAL
 * buffers when the whole server is killed with SIGKILL; the crash really loses committed work (a marker row shows
 * it). Offsets are committed only for flushes whose WAL was on disk, and the restart is noticed, so every event is
 * applied again and every effect exists exactly once.
 */
describe('asynchronous commit: a PostgreSQL crash (SIGKILL) loses no effect whose offset was committed', () => {
  let h: Harness;
  let pg: OwnPostgres;
  let ds: DataSource;
  let consumer: IdempotentConsumer<Harness['catalog']> | null = null;

  const committed = async (groupId: string): Promise<number> => {
    const admin = h.kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [h.topic] });
      return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    h = await createHarness();
    pg = await startOwnPostgres({ wal_writer_delay: '10s' });
    ds = new DataSource(
      dataSourceOptions({ url: pg.url, applicationName: 'hoso-test', migrations: MESSAGING_MIGRATIONS }),
    );
    await ds.initialize();
    await ds.runMigrations();
    await ds.query(`CREATE TABLE effects (
      id bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL, dossier_id uuid NOT NULL, seq int NOT NULL)`);
    await ds.query(`CREATE TABLE marker (id int)`);
  }, 90_000);

  afterAll(async () => {
    await consumer?.stop();
    if (ds.isInitialized) await ds.destroy();
    await pg.close();
    await h.close();
  });

  it('commits offsets only once durable, and after the crash applies every lost event again, once', async () => {
    const groupId = `g-${h.id}-async`;
    consumer = makeConsumer(h, groupId, { dataSource: ds, asyncCommit: true });
    await consumer.start();
    const { eventIds } = await writeBusiness(h, 12, 5);
    const relay = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger, batchSize: 1000 });
    expect(await relay.runOnce()).toBe(60);

    await eventually(
      'all 60 effects visible',
      async () => (await countRows(ds, 'SELECT count(*) AS n FROM effects')) === 60,
    );
    // Applied and visible, but the WAL writer has not flushed it: no offset may be committed yet.
    expect(await committed(groupId)).toBe(0);
    await ds.transaction(async (m) => {
      await m.query('SET LOCAL synchronous_commit = off');
      await m.query('INSERT INTO marker VALUES (1)');
    });

    await pg.kill();
    await pg.start();

    // The crash lost committed transactions whose WAL was still in memory: the marker committed last is gone.
    expect(await countRows(ds, 'SELECT count(*) AS n FROM marker')).toBe(0);
    // The consumer notices the restart and reads again from the committed offsets.
    await eventually(
      'every event applied again after the crash',
      async () => (await countRows(ds, 'SELECT count(*) AS n FROM effects')) === 60,
      60_000,
    );
    await eventually(
      'offsets committed once the WAL is on disk',
      async () => (await committed(groupId)) === 60,
      60_000,
    );
    expect(await countRows(ds, 'SELECT count(*) AS n FROM effects')).toBe(60);
    const applied = (await ds.query<{ event_id: string }[]>('SELECT event_id FROM effects')).map((r) => r.event_id);
    expect(new Set(applied)).toEqual(new Set(eventIds));
    expect(applied).toHaveLength(60);
  }, 120_000);
});
