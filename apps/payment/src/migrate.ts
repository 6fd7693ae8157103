/**
 * `nx run payment:migrate` (in the image: `node dist/services/payment.migrate.js`): applies the pending migrations of the
 * payment database as its owner role (PAYMENT_DATABASE_MIGRATION_URL when set) and exits. Run once per release, before
 * replicas started with MIGRATE_ON_START=false (docs/operations.md, "Migrations").
 */
import { runMigrateCommand } from '@hoso/nest-kit';
import { loadConfig } from './config';
import { PAYMENT_MIGRATIONS } from './migrations';

const config = loadConfig();
void runMigrateCommand({
  service: 'payment',
  url: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  migrations: PAYMENT_MIGRATIONS,
  logLevel: config.LOG_LEVEL,
}).then((code) => {
  process.exitCode = code;
});
