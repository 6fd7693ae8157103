/**
 * `nx run case-tracking:migrate` (in the image: `node dist/services/case-tracking.migrate.js`): applies the pending migrations of the
 * case-tracking database as its owner role (CASE_DATABASE_MIGRATION_URL when set) and exits. Run once per release, before
 * replicas started with MIGRATE_ON_START=false (docs/operations.md, "Migrations").
 */
import { runMigrateCommand } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { CASE_MIGRATIONS } from './migrations';

const config = loadConfig();
void runMigrateCommand({
  service: 'case-tracking',
  url: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  migrations: CASE_MIGRATIONS,
  logLevel: config.LOG_LEVEL,
}).then((code) => {
  process.exitCode = code;
});
