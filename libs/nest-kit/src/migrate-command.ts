import { migrateDatabase, type ServiceDataSourceOptions } from '@hoso/persistence';
import { createRootLogger } from './logging';

export interface MigrateCommandOptions {
  service: string;
  /** The runtime URL: where the migrations go when no owner URL is given (development). */
  url: string;
  /** The owner role's URL (`<SERVICE>_DATABASE_MIGRATION_URL`), which alone may change the schema outside development. */
  migrationUrl?: string | undefined;
  migrations: NonNullable<ServiceDataSourceOptions['migrations']>;
  logLevel?: string;
}

/**
 * `<service>:migrate`: applies the service's pending migrations as the owner role and exits — 0 when the schema is
 * current, 1 (with the error logged) otherwise. A cluster runs it once per release, before replicas that start with
 * MIGRATE_ON_START=false; the migrations' advisory lock makes two runs at once harmless.
 */
export async function runMigrateCommand(o: MigrateCommandOptions): Promise<number> {
  const logger = createRootLogger(`${o.service}-migrate`, o.logLevel);
  try {
    const applied = await migrateDatabase({
      url: o.url,
      ...(o.migrationUrl ? { migrationUrl: o.migrationUrl } : {}),
      applicationName: `${o.service}-migrate`,
      migrations: o.migrations,
    });
    logger.info(
      { applied },
      applied.length ? `applied ${applied.length} migration(s)` : 'schema current: nothing to apply',
    );
    return 0;
  } catch (e) {
    logger.error({ err: e }, 'migration failed');
    return 1;
  } finally {
    logger.flush();
  }
}
