/**
 * `nx run metrics:migrate` (in the image: `node dist/services/metrics.migrate.js`): applies the pending migrations of the
 * metrics database as its owner role (METRICS_DATABASE_MIGRATION_URL when set) and exits. Run once per release, before
 * replicas started with MIGRATE_ON_START=false (docs/operations.md, "Migrations").
 */
import { runMigrateCommand } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { METRICS_MIGRATIONS } from './migrations';

const config = loadConfig();
void runMigrateCommand({
  service: 'metrics',
  url: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  migrations: METRICS_MIGRATIONS,
  logLevel: config.LOG_LEVEL,
}).then((code) => {
  process.exitCode = code;
});
