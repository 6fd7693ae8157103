/**
 * `nx run identity:seed`: migrates the identity database, fills an empty population registry (REGISTRY_SEED_COUNT
 * citizens of REGISTRY_SEED) and, outside development mode, creates the staff accounts when there are none.
 *
 * Each new staff account gets its own one-time password. The table of them is written to standard output and to
 * nowhere else; log lines go to standard error, so `… > staff-passwords.tsv` keeps the only copy apart from any log
 * collector. Running it again prints nothing: existing accounts are never touched (an operator resets one instead).
 * In development mode the service seeds the staff itself with the shared development password.
 */
import pino from 'pino';
import { createDataSource, migrateDatabase } from '@hoso/persistence';
import { credentialsTable, seedStaff } from './auth/staff/staff-seed';
import { loadConfig } from './config';
import { IDENTITY_MIGRATIONS } from './migrations';
import { seedRegistry } from './registry/registry-seeder';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino(
    { name: 'identity-seed', level: config.LOG_LEVEL, base: { service: 'identity-seed' } },
    pino.destination(2),
  );
  const database = {
    url: config.databaseUrl,
    migrationUrl: config.databaseMigrationUrl,
    applicationName: 'identity-seed',
    migrations: IDENTITY_MIGRATIONS,
  };
  // The runtime role may not change the schema: migrations run as the owner (the migration URL, when set) first.
  await migrateDatabase(database);
  const ds = createDataSource(database);
  await ds.initialize();
  try {
    const result = await seedRegistry(ds, { count: config.REGISTRY_SEED_COUNT, seed: config.REGISTRY_SEED, logger });
    const [{ n } = { n: 0 }] = await ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM citizens');
    logger.info(
      { seeded: result.seeded, ms: result.ms, citizens: n },
      result.seeded ? `seeded ${result.count} citizens in ${result.ms} ms` : `registry already holds ${n} citizens`,
    );
    const staff = await seedStaff(
      ds,
      config.seedStaffPassword === null ? { kind: 'one-time' } : { kind: 'shared', password: config.seedStaffPassword },
    );
    logger.info(
      { staffSeeded: staff.inserted },
      staff.inserted ? `created ${staff.inserted} staff accounts` : 'staff accounts exist already: none created',
    );
    if (staff.credentials.length > 0) process.stdout.write(`${credentialsTable(staff.credentials)}\n`);
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
