/**
 * `nx run identity:migrate` (in the image: `node dist/services/identity.migrate.js`): applies the pending migrations of the
 * identity database as its owner role (IDENTITY_DATABASE_MIGRATION_URL when set) and exits. Run once per release, before
 * replicas started with MIGRATE_ON_START=false (docs/operations.md, "Migrations").
 */
import { runMigrateCommand } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { IDENTITY_MIGRATIONS } from './migrations';

const config = loadConfig();
void runMigrateCommand({
  service: 'identity',
  url: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  migrations: IDENTITY_MIGRATIONS,
  logLevel: config.LOG_LEVEL,
}).then((code) => {
  process.exitCode = code;
});
