// `nx run intake:seed`: migrate the intake database and upsert the reference data, then exit.
import { createDataSource, ensureDatabase, migrateDatabase } from '@hoso/persistence';
import { createRootLogger } from '@hoso/nest-kit';
import { loadConfig } from '../config';
import { INTAKE_MIGRATIONS } from '../migrations';
import { seedReferenceData } from './reference-data';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger('intake-seed', config.LOG_LEVEL);
  await ensureDatabase(config.DATABASE_URL, new URL(config.databaseUrl).pathname.slice(1));
  const database = {
    url: config.databaseUrl,
    migrationUrl: config.databaseMigrationUrl,
    applicationName: 'intake-seed',
    migrations: INTAKE_MIGRATIONS,
  };
  // The runtime role may not change the schema: migrations run as the owner (the migration URL, when set) first.
  const applied = await migrateDatabase(database);
  const ds = createDataSource(database);
  await ds.initialize();
  try {
    const result = await seedReferenceData(ds);
    logger.info({ migrations: applied, ...result }, 'intake reference data seeded');
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
