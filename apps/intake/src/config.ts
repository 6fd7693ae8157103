import { z } from 'zod';
import {
  booleanFlag,
  ConfigError,
  infraEnvShape,
  parseEnv,
  port,
  positiveInt,
  postgresUrl,
  withDatabase,
} from '@hoso/config';

export const configSchema = z.object({
  ...infraEnvShape,
  NODE_ENV: z.string().default('development'),
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

/** Variables that carry credentials: never defaulted in production. */
const SECRET_VARS = ['DATABASE_URL'] as const;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  if (c.NODE_ENV === 'production') {
    const missing = SECRET_VARS.filter((name) => !env[name]).filter(() => !env['INTAKE_DATABASE_URL']);
    if (missing.length) throw new ConfigError(missing.map((name) => `${name}: required in production`));
  }
  return Object.freeze({
    ...c,
    databaseUrl: c.INTAKE_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_intake'),
  });
}
