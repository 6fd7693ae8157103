import { DataSource } from 'typeorm';
import { MESSAGING_MIGRATIONS } from '@hoso/messaging';
import { createTestDatabase, dataSourceOptions } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import { MetricsService } from './metrics';
import { OutboxAgeGauge } from './outbox-age.gauge';

describe('messaging_outbox_oldest_unsent_age_seconds (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let metrics: MetricsService;

  const age = async () => {
    const m = await metrics.registry.getSingleMetric('messaging_outbox_oldest_unsent_age_seconds')?.get();
    return m?.values[0]?.value;
  };
  const insert = (eventId: string, secondsAgo: number) =>
    ds.query(
      `INSERT INTO messaging_outbox (event_id, topic, key, value, created_at)
       VALUES ($1, 't', 'k', '{}', now() - make_interval(secs => $2))`,
      [eventId, secondsAgo],
    );

  beforeAll(async () => {
    db = await createTestDatabase(testEnv.DATABASE_URL);
    ds = new DataSource(
      dataSourceOptions({ url: db.url, applicationName: 'hoso-test', migrations: MESSAGING_MIGRATIONS }),
    );
    await ds.initialize();
    await ds.runMigrations();
    metrics = new MetricsService('test');
    new OutboxAgeGauge(ds, metrics).onModuleInit();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('is 0 with nothing waiting, the oldest unsent row’s age while rows wait, and ignores sent rows', async () => {
    expect(await age()).toBe(0);

    await insert('00000000-0000-4000-8000-000000000001', 300);
    await insert('00000000-0000-4000-8000-000000000002', 90);
    expect(await age()).toBeGreaterThanOrEqual(300);
    expect(await age()).toBeLessThan(330);

    // The relay sent the oldest: the next one is now the oldest waiting.
    await ds.query(
      `UPDATE messaging_outbox SET sent_at = now() WHERE event_id = '00000000-0000-4000-8000-000000000001'`,
    );
    expect(await age()).toBeGreaterThanOrEqual(90);
    expect(await age()).toBeLessThan(120);

    await ds.query(`UPDATE messaging_outbox SET sent_at = now()`);
    expect(await age()).toBe(0);
  });
});
