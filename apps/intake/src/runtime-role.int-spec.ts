import { Client } from 'pg';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { runScript, testEnv } from '@hoso/testing';

jest.setTimeout(120_000);

/**
 * Outside development mode a service must not work as the PostgreSQL superuser, nor as any role that may change its
 * schema: the real process (main.ts, as a deployment starts it) refuses to start, names the variable and the fix, and
 * leaves the database as it found it (no migration ran).
 */
describe('intake outside development mode: its database role (real process, real PostgreSQL)', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment(['intake']);
  });

  afterAll(async () => {
    await env.close();
  });

  /** Everything a production start needs, so only the database's role can stop it. */
  const productionEnv = (databaseUrl: string, migrationUrl?: string) => ({
    NODE_ENV: 'production',
    HOSO_DEV_MODE: '0',
    INTAKE_DATABASE_URL: databaseUrl,
    ...(migrationUrl ? { INTAKE_DATABASE_MIGRATION_URL: migrationUrl } : {}),
    ...env.kafkaEnv('intake'),
    KAFKA_BROKERS: env.brokers.join(','),
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    // Only its form is checked before the database: the start is refused before any Redis command.
    REDIS_URL: 'redis://intake:a-redis-password-for-the-test@127.0.0.1:6379',
    LOG_LEVEL: 'silent',
  });

  async function tables(): Promise<number> {
    const c = new Client({ connectionString: env.databases['intake'] });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
      );
      return rows[0]!.n;
    } finally {
      await c.end();
    }
  }

  it('refuses the superuser, and then the owner role as its pool, before any migration', async () => {
    const asSuperuser = await runScript('apps/intake/src/main.ts', productionEnv(env.databases['intake']!));
    expect(asSuperuser.code).toBe(1);
    expect(asSuperuser.stderr + asSuperuser.stdout).toContain('Invalid configuration');
    expect(asSuperuser.stderr + asSuperuser.stdout).toContain(
      `INTAKE_DATABASE_URL: connects as "${new URL(testEnv.DATABASE_URL).username || 'postgres'}", a superuser`,
    );
    expect(await tables()).toBe(0);

    const roles = await env.databaseRoles('intake');
    const asOwner = await runScript('apps/intake/src/main.ts', productionEnv(roles.ownerUrl));
    expect(asOwner.code).toBe(1);
    expect(asOwner.stderr + asOwner.stdout).toMatch(
      /INTAKE_DATABASE_URL: connects as "hoso_t_intake\w*_owner", the database's owner/,
    );
    expect(asOwner.stderr + asOwner.stdout).toContain('INTAKE_DATABASE_MIGRATION_URL');
    expect(await tables()).toBe(0);
  });
});
