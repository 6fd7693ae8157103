import { z } from 'zod';
import { createHash } from 'node:crypto';
import {
  assertDevModeSettings,
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

/**
 * The development key-encryption key of the result-signing keys: a fixed, published value, so it protects nothing
 * and is accepted only with HOSO_DEV_MODE=1.
 */
const DEV_RESULT_SIGNING_KEK = createHash('sha256').update('hoso development result-signing KEK').digest();
const DEV_PORTAL_PUBLIC_URL = 'http://127.0.0.1:3000';

/** 32 bytes, base64 (standard or URL-safe alphabet): the AES-256-GCM key the private signing keys are sealed with. */
const kek = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'expected 32 random bytes, base64 (e.g. `openssl rand -base64 32`)' });
      return z.NEVER;
    }
    return bytes;
  });

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3004),
  CASE_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: CASE_DATABASE_URL. */
  CASE_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().default('case-tracking'),
  /** BullMQ queue-name prefix; default: the topic prefix, so parallel test runs never share queues. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:]*$/, 'must not contain ":"')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where issued result PDFs are stored (local storage adapter). */
  RESULT_DIR: z.string().min(1).default('.data/results'),
  /** SLA job delays are divided by this (1 = real time); demos and tests compress days into seconds. */
  SLA_TIME_SCALE: z.coerce.number().positive().default(1),
  NOTIFY_ATTEMPTS: positiveInt.default(5),
  NOTIFY_BACKOFF_MS: positiveInt.default(2000),
  /** Key-encryption key of the per-agency result-signing keys (their private halves are stored sealed with it). */
  RESULT_SIGNING_KEK: kek.optional(),
  /**
   * During a rotation of RESULT_SIGNING_KEK: the KEK being replaced, whose keys still open until
   * `nx run case-tracking:rekey` has re-sealed them under the new one.
   */
  RESULT_SIGNING_KEK_PREVIOUS: kek.optional(),
  /** Where the public reaches the portal: the QR code and the verification link printed on every result. */
  PORTAL_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // Development defaults exist for HOSO_DEV_MODE=1 only (the demo, the tests); every other process brings its own:
  // a published KEK seals nothing, and a result printed with a local address sends its verifiers nowhere.
  assertDevModeSettings(c, { RESULT_SIGNING_KEK: c.RESULT_SIGNING_KEK, PORTAL_PUBLIC_URL: c.PORTAL_PUBLIC_URL }, [
    ...redisCredentialProblems(c),
    ...kafkaCredentialProblems(c),
  ]);
  return Object.freeze({
    ...c,
    resultSigningKek: c.RESULT_SIGNING_KEK ?? DEV_RESULT_SIGNING_KEK,
    resultSigningKekPrevious: c.RESULT_SIGNING_KEK_PREVIOUS ?? null,
    portalPublicUrl: c.PORTAL_PUBLIC_URL ?? DEV_PORTAL_PUBLIC_URL,
    databaseUrl: c.CASE_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_case'),
    databaseMigrationUrl: c.CASE_DATABASE_MIGRATION_URL,
    queuePrefix: c.QUEUE_PREFIX ?? c.KAFKA_TOPIC_PREFIX.replace(/:/g, '-'),
  });
}
