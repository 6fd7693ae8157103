/**
 * `nx run identity:seed`: migrates the identity database and fills an empty population registry
 * (REGISTRY_SEED_COUNT citizens of REGISTRY_SEED), printing how long it took. Does nothing to a registry with rows.
 */
import { createDataSource, runMigrations } from '@hoso/persistence';
import { createRootLogger } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { IDENTITY_MIGRATIONS } from './migrations';
import { seedRegistry } from './registry/registry-seeder';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger('identity-seed', config.LOG_LEVEL);
  const ds = createDataSource({
    url: config.databaseUrl,
    applicationName: 'identity-seed',
    migrations: IDENTITY_MIGRATIONS,
  });
  await ds.initialize();
  try {
    await runMigrations(ds);
    const result = await seedRegistry(ds, { count: config.REGISTRY_SEED_COUNT, seed: config.REGISTRY_SEED, logger });
    const [{ n } = { n: 0 }] = await ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM citizens');
    logger.info(
      { seeded: result.seeded, ms: result.ms, citizens: n },
      result.seeded ? `seeded ${result.count} citizens in ${result.ms} ms` : `registry already holds ${n} citizens`,
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
