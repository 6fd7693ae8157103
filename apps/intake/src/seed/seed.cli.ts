// `nx run intake:seed`: migrate the intake database and upsert the reference data, then exit.
import { createDataSource, ensureDatabase, runMigrations } from '@hoso/persistence';
import { createRootLogger } from '@hoso/nest-kit';
import { loadConfig } from '../config';
import { INTAKE_MIGRATIONS } from '../migrations';
import { seedReferenceData } from './reference-data';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger('intake-seed', config.LOG_LEVEL);
  await ensureDatabase(config.DATABASE_URL, new URL(config.databaseUrl).pathname.slice(1));
  const ds = createDataSource({
    url: config.databaseUrl,
    applicationName: 'intake-seed',
    migrations: INTAKE_MIGRATIONS,
  });
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
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
