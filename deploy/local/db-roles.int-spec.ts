import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { withDatabase } from '@hoso/config';
import { appendAuditRecord, PLATFORM_MIGRATIONS } from '@hoso/nest-kit';
import {
  createDataSource,
  createTestDatabase,
  migrateDatabase,
  runMigrations,
  runtimeRoleProblems,
} from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import { applyDbRoles, dbRoleNames, dbRoleUrl, type DbRolesPlan } from './db-roles';

/**
 * The roles of db-roles.ts for databases of this test's own (the hoso_* databases and their owners stay as they are):
 * the platform migrations every service runs, applied as the owner role, then the runtime role's work and what it is
 * refused. Roles are server-wide, so they are dropped with the databases.
 */
describe('database roles (PostgreSQL)', () => {
  const admin = testEnv.DATABASE_URL;
  const dbs: { name: string; drop: () => Promise<void> }[] = [];
  let fresh: DbRolesPlan;
  let migratedBefore: DbRolesPlan;

  const plan = (database: string): DbRolesPlan => ({
    database,
    ownerPassword: randomBytes(12).toString('hex'),
    appPassword: randomBytes(12).toString('hex'),
  });
  const url = (p: DbRolesPlan, role: 'owner' | 'app', database = p.database) =>
    dbRoleUrl(admin, database, dbRoleNames(p.database)[role], role === 'owner' ? p.ownerPassword : p.appPassword);

  async function as<T>(connection: string, work: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: connection });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  /** The error PostgreSQL answers `sql` with as `connection`'s role (fails the test when it is accepted). */
  async function refusal(connection: string, sql: string): Promise<{ code?: string; message: string }> {
    return as(connection, async (c) => {
      const e = await c.query(sql).then(
        () => null,
        (err: unknown) => err as { code?: string; message: string },
      );
      if (!e) throw new Error(`accepted: ${sql}`);
      return e;
    });
  }

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dbs.push(await createTestDatabase(admin, 'hoso_roles'));
    fresh = plan(dbs[0]!.name);
    migratedBefore = plan(dbs[1]!.name);
    // The second database as today's: migrated as the server's superuser before any role existed.
    await runMigrations(
      createDataSource({
        url: withDatabase(admin, migratedBefore.database),
        applicationName: 'roles-test',
        migrations: PLATFORM_MIGRATIONS,
      }),
    );
    await applyDbRoles(admin, [fresh, migratedBefore]);
    // The first one as a new environment: migrations as its owner, on a connection of their own.
    const applied = await migrateDatabase({
      url: url(fresh, 'app'),
      migrationUrl: url(fresh, 'owner'),
      applicationName: 'roles-test',
      migrations: PLATFORM_MIGRATIONS,
    });
    expect(applied).toContain('AuditTrailAppendOnlyPrivileges1766700000000');
  });

  afterAll(async () => {
    for (const db of dbs) await db.drop();
    await as(admin, async (c) => {
      for (const p of [fresh, migratedBefore].filter(Boolean)) {
        const roles = dbRoleNames(p.database);
        await c.query(`DROP ROLE IF EXISTS "${roles.owner}"`);
        await c.query(`DROP ROLE IF EXISTS "${roles.app}"`);
      }
    });
  });

  it('gives every table of a new database to its owner, and applying the roles again changes nothing', async () => {
    await applyDbRoles(admin, [fresh]);
    const owners = await as(withDatabase(admin, fresh.database), (c) =>
      c.query<{ owner: string }>(
        `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S')`,
      ),
    );
    expect(owners.rows.map((r) => r.owner)).toEqual([dbRoleNames(fresh.database).owner]);
  });

  describe.each([
    ['migrated as its owner', () => fresh],
    ['migrated before its roles existed', () => migratedBefore],
  ])('the runtime role of a database %s', (_label, p) => {
    it('reads and writes its tables, the audit trail by appending', async () => {
      const eventId = randomUUID();
      await as(url(p(), 'app'), async (c) => {
        await c.query(`INSERT INTO messaging_outbox (event_id, topic, key, value) VALUES ($1, 't', 'k', 'v')`, [
          eventId,
        ]);
        await c.query(`UPDATE messaging_outbox SET sent_at = now() WHERE event_id = $1`, [eventId]);
        await c.query('BEGIN');
        await appendAuditRecord(c, {
          action: 'roles.test',
          outcome: 'allowed',
          actor: { sub: 'tester', role: 'operator' },
          at: new Date(),
        });
        await c.query('COMMIT');
        const trail = await c.query<{ n: string }>(`SELECT count(*) AS n FROM audit_trail`);
        expect(Number(trail.rows[0]?.n)).toBeGreaterThanOrEqual(1);
        const deleted = await c.query(`DELETE FROM messaging_outbox WHERE event_id = $1`, [eventId]);
        expect(deleted.rowCount).toBe(1);
      });
    });

    it.each([
      ['CREATE TABLE', 'CREATE TABLE intruder (id int)'],
      ['DROP', 'DROP TABLE messaging_inbox'],
      ['TRUNCATE', 'TRUNCATE messaging_outbox'],
      ['ALTER', 'ALTER TABLE messaging_outbox ADD COLUMN intruder int'],
      ['CREATE TEMPORARY TABLE', 'CREATE TEMPORARY TABLE intruder (id int)'],
    ])('is refused %s', async (_what, sql) => {
      const e = await refusal(url(p(), 'app'), sql);
      expect(e.code).toBe('42501');
    });

    it.each([
      ['UPDATE', `UPDATE audit_trail SET entry = entry`],
      ['DELETE', `DELETE FROM audit_trail`],
      ['TRUNCATE', `TRUNCATE audit_trail`],
    ])('is refused %s of the audit trail by privilege, before its trigger', async (_what, sql) => {
      const e = await refusal(url(p(), 'app'), sql);
      expect(e.code).toBe('42501');
      expect(e.message).toMatch(/permission denied for table audit_trail/);
    });

    it("cannot connect to another service's database", async () => {
      const other = p() === fresh ? migratedBefore : fresh;
      const e = await as(url(p(), 'app', other.database), (c) => c.query('SELECT 1')).then(
        () => null,
        (err: unknown) => err as { code?: string; message: string },
      );
      expect(e?.code).toBe('42501');
      expect(e?.message).toMatch(/permission denied for database/);
    });
  });

  it('tells a service which of these roles its pool may run as outside development mode (the runtime role only)', async () => {
    const problems = async (connection: string) => {
      const ds = createDataSource({ url: connection, applicationName: 'roles-test', migrations: [] });
      await ds.initialize();
      try {
        return await runtimeRoleProblems(ds);
      } finally {
        await ds.destroy();
      }
    };
    for (const p of [fresh, migratedBefore]) {
      expect(await problems(url(p, 'app'))).toEqual([]);
      expect(await problems(url(p, 'owner'))).toEqual([
        `connects as "${dbRoleNames(p.database).owner}", the database's owner`,
      ]);
      expect(await problems(withDatabase(admin, p.database))).toEqual([
        `connects as "${new URL(admin).username || 'postgres'}", a superuser`,
      ]);
    }
  });

  it('lets the owner of a database migrated before its roles existed alter its tables in a later migration', async () => {
    await as(url(migratedBefore, 'owner'), async (c) => {
      await c.query('BEGIN');
      await c.query('ALTER TABLE messaging_outbox ADD COLUMN later int');
      await c.query('ROLLBACK');
    });
  });
});
