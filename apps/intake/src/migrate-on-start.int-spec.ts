import { createServer } from 'node:net';
import { Client } from 'pg';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { runScript, startScript } from '@hoso/testing';

jest.setTimeout(180_000);

/**
 * A cluster migrates once per release (the migrate command, as a Job) and starts its replicas with
 * MIGRATE_ON_START=false. Real processes, as a deployment starts them: a replica refuses a schema with migrations
 * pending and changes nothing; the migrate command applies them as the owner role, and a second run finds nothing;
 * then the replica starts without migrating, bound to the HOST it is given.
 */
describe('intake: migrations run apart from the start (real processes, real PostgreSQL and Kafka)', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment(['intake']);
  });

  afterAll(async () => {
    await env.close();
  });

  const kafka = () => ({
    ...env.kafkaEnv('intake'),
    KAFKA_BROKERS: env.brokers.join(','),
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    LOG_LEVEL: 'info',
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

  it('refuses to start on pending migrations, migrates with the command, then starts on 0.0.0.0 without migrating', async () => {
    const refused = await runScript('apps/intake/src/main.ts', {
      ...kafka(),
      HOSO_DEV_MODE: '1',
      INTAKE_DATABASE_URL: env.databases['intake'],
      MIGRATE_ON_START: 'false',
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/MIGRATE_ON_START=false and \d+ migration\(s\) not applied \(\w+/);
    expect(await tables()).toBe(0);

    // As a production Job runs it: the runtime role's URL and the owner's, no development mode.
    const roles = await env.databaseRoles('intake');
    const production = {
      ...kafka(),
      NODE_ENV: 'production',
      HOSO_DEV_MODE: '0',
      INTAKE_DATABASE_URL: roles.appUrl,
      INTAKE_DATABASE_MIGRATION_URL: roles.ownerUrl,
      REDIS_URL: 'redis://intake:a-redis-password-for-the-test@127.0.0.1:6379',
    };
    const migrated = await runScript('apps/intake/src/migrate.ts', production);
    expect(migrated.stdout + migrated.stderr).toMatch(/applied \d+ migration\(s\)/);
    expect(migrated.code).toBe(0);
    expect(await tables()).toBeGreaterThan(0);
    const again = await runScript('apps/intake/src/migrate.ts', production);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('schema current: nothing to apply');

    const port = await freePort();
    const child = startScript('apps/intake/src/main.ts', {
      ...kafka(),
      HOSO_DEV_MODE: '1',
      INTAKE_DATABASE_URL: env.databases['intake'],
      MIGRATE_ON_START: 'false',
      HOST: '0.0.0.0',
      PORT: String(port),
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 90_000;
      while (!out.includes(`listening on http://0.0.0.0:${port}`)) {
        if (child.exitCode !== null) throw new Error(`intake exited with ${child.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`intake did not listen within 90 s:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).toBe(200);
      expect(out).not.toContain('migration(s) not applied');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});

/** A port nothing listens on now (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        if (a && typeof a === 'object') resolve(a.port);
        else reject(new Error('no port'));
      });
    });
  });
}
