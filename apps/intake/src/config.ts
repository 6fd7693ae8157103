import { z } from 'zod';
import {
  assertDevModeSettings,
  booleanFlag,
  ConfigError,
  devModeShape,
  infraEnvShape,
  parseEnv,
  port,
  positiveInt,
  postgresUrl,
  kafkaCredentialProblems,
  redisCredentialProblems,
  withDatabase,
} from '@hoso/config';

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3001),
  /** Own database; default: DATABASE_URL's server, database hoso_intake. */
  INTAKE_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: INTAKE_DATABASE_URL. */
  INTAKE_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().min(1).default('intake'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest attachment accepted, bytes (413 above). */
  ATTACHMENT_MAX_BYTES: positiveInt.default(10 * 1024 * 1024),
  /** Where LocalDirectoryStorage keeps attachment files. */
  ATTACHMENT_DIR: z.string().min(1).default('.data/attachments'),
  /** Most bytes of uploads not yet attached to a dossier one user (token subject) may hold (409 above). */
  ATTACHMENT_QUOTA_BYTES: positiveInt.default(100 * 1024 * 1024),
  /** Most uploads not yet attached to a dossier one user may hold (409 above). */
  ATTACHMENT_QUOTA_FILES: positiveInt.default(50),
  /**
   * Seconds an upload may stay unattached before the purge deletes it (row and file). At least an hour: a citizen
   * uploads before filling in the form and must not lose the documents while doing so.
   */
  ATTACHMENT_UNATTACHED_TTL_SEC: positiveInt.min(3600, 'must be at least 3600 (an hour)').default(24 * 3600),
  /** How often each replica looks for expired unattached uploads (seconds). */
  ATTACHMENT_PURGE_EVERY_SEC: positiveInt.default(300),
  /** Uploads deleted per purge transaction (a run repeats batches until none is left). */
  ATTACHMENT_PURGE_BATCH: positiveInt.max(10_000).default(500),
  /** Upsert the catalog and administrative units at start-up (idempotent). */
  SEED_ON_START: booleanFlag.default(true),
  /**
   * Most receipt numbers a process reserves per agency and day at once (blocks start at 8 and double up to this).
   * Larger: fewer counter updates for a busy agency; smaller: shorter gaps left by restarts and quiet agencies.
   */
  RECEIPT_BLOCK_SIZE: positiveInt.default(100),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // The database URL carries credentials: its local default is for development mode only.
  assertDevModeSettings(
    c,
    { 'DATABASE_URL (or INTAKE_DATABASE_URL)': env['INTAKE_DATABASE_URL'] || env['DATABASE_URL'] },
    [...redisCredentialProblems(c), ...kafkaCredentialProblems(c)],
  );
  if (c.ATTACHMENT_QUOTA_BYTES < c.ATTACHMENT_MAX_BYTES) {
    // Else a file the size limit accepts could never be stored: the quota would refuse it every time.
    throw new ConfigError([
      `ATTACHMENT_QUOTA_BYTES: must be at least ATTACHMENT_MAX_BYTES (${String(c.ATTACHMENT_MAX_BYTES)}) ` +
        `(got ${String(c.ATTACHMENT_QUOTA_BYTES)})`,
    ]);
  }
  return Object.freeze({
    ...c,
    databaseUrl: c.INTAKE_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_intake'),
    databaseMigrationUrl: c.INTAKE_DATABASE_MIGRATION_URL,
  });
}
