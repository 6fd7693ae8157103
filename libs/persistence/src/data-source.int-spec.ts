import { Client } from 'pg';
import { testEnv } from '@hoso/testing';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { createTestDatabase } from './test-database';

/**
 * The consumer's flush and the outbox relay start their transactions without naming the isolation level: the
 * pool's connections must be READ COMMITTED even where the database (or the role) defaults to another level.
 */
describe('service data source', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase(testEnv.DATABASE_URL, 'hoso_ds_test');
    const admin = new Client({ connectionString: testEnv.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${db.name}" SET default_transaction_isolation = 'serializable'`);
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    await db.drop();
  });

  it('runs its transactions READ COMMITTED where the database defaults to SERIALIZABLE', async () => {
    // Without the pool's startup option, a connection gets the database's default.
    const plain = new Client({ connectionString: db.url });
    await plain.connect();
    try {
      expect(
        (await plain.query<{ default_transaction_isolation: string }>('SHOW default_transaction_isolation')).rows[0]
          ?.default_transaction_isolation,
      ).toBe('serializable');
    } finally {
      await plain.end();
    }
    const ds = createDataSource({ url: db.url, applicationName: 'ds-test', poolSize: 2 });
    await ds.initialize();
    try {
      const qr = ds.createQueryRunner();
      await qr.connect();
      try {
        await qr.startTransaction();
        const [row] = (await qr.query('SHOW transaction_isolation')) as { transaction_isolation: string }[];
        await qr.commitTransaction();
        expect(row?.transaction_isolation).toBe('read committed');
      } finally {
        await qr.release();
      }
    } finally {
      await ds.destroy();
    }
  });

  it('two processes migrating one database at once: one applies the migrations, the other waits and finds none', async () => {
    class SlowTable1700000000000 implements MigrationInterface {
      name = 'SlowTable1700000000000';
      async up(q: QueryRunner): Promise<void> {
        await q.query('CREATE TABLE slow_table (id int PRIMARY KEY)');
        // Long enough for the other run to read the same pending list if nothing held it back.
        await q.query('SELECT pg_sleep(0.5)');
      }
      async down(q: QueryRunner): Promise<void> {
        await q.query('DROP TABLE slow_table');
      }
    }
    const replica = () =>
      createDataSource({ url: db.url, applicationName: 'ds-test-migrate', migrations: [SlowTable1700000000000] });
    const applied = await Promise.all([runMigrations(replica()), runMigrations(replica())]);
    expect(applied.map((a) => a.length).sort()).toEqual([0, 1]);
    expect(applied.flat()).toEqual(['SlowTable1700000000000']);
  });
});
