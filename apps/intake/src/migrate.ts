/**
 * `nx run intake:migrate` (in the image: `node dist/services/intake.migrate.js`): applies the pending migrations of the
 * intake database as its owner role (INTAKE_DATABASE_MIGRATION_URL when set) and exits. Run once per release, before
 * replicas started with MIGRATE_ON_START=false (docs/operations.md, "Migrations").
 */
import { runMigrateCommand } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { INTAKE_MIGRATIONS } from './migrations';

const config = loadConfig();
void runMigrateCommand({
  service: 'intake',
  url: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  migrations: INTAKE_MIGRATIONS,
  logLevel: config.LOG_LEVEL,
}).then((code) => {
  process.exitCode = code;
});
