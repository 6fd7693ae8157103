import { z } from 'zod';
import {
  assertDevModeSettings,
  booleanFlag,
  devModeShape,
  infraEnvShape,
  parseEnv,
  port,
  positiveInt,
  postgresUrl,
  withDatabase,
} from '@hoso/config';

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3001),
  /** Own database; default: DATABASE_URL's server, database hoso_intake. */
  INTAKE_DATABASE_URL: postgresUrl.optional(),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().min(1).default('intake'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest attachment accepted, bytes (413 above). */
  ATTACHMENT_MAX_BYTES: positiveInt.default(10 * 1024 * 1024),
  /** Where LocalDirectoryStorage keeps attachment files. */
  ATTACHMENT_DIR: z.string().min(1).default('.data/attachments'),
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
  assertDevModeSettings(c, {
    'DATABASE_URL (or INTAKE_DATABASE_URL)': env['INTAKE_DATABASE_URL'] || env['DATABASE_URL'],
  });
  return Object.freeze({
    ...c,
    databaseUrl: c.INTAKE_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_intake'),
  });
}
