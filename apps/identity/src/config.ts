import { z } from 'zod';
import {
  ConfigError,
  DEV_MODE_VAR,
  devModeProblems,
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
import { REGISTRY_DEFAULT_SEED, REGISTRY_MAX_CITIZENS } from '@hoso/population';

const DEV_OTP_SECRET = 'hoso-dev-otp-secret-not-for-production';
const DEV_STAFF_PASSWORD = 'hoso-dev-password';
const DEV_STAFF_TOTP_KEY = 'hoso-dev-staff-totp-key-not-for-production';
const DEV_SIGNING_KEY_KEK = 'hoso-dev-signing-key-kek-not-for-production';

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3002),
  IDENTITY_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: IDENTITY_DATABASE_URL. */
  IDENTITY_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().default('identity'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REGISTRY_SEED_COUNT: z.coerce.number().int().min(0).max(REGISTRY_MAX_CITIZENS).default(200_000),
  REGISTRY_SEED: z.coerce.number().int().default(REGISTRY_DEFAULT_SEED),
  OTP_SECRET: z.string().min(32, 'OTP_SECRET must be at least 32 characters').optional(),
  OTP_TTL_SEC: positiveInt.default(300),
  /** Development delivery only: where each citizen's latest code is written. */
  OTP_DEV_DIR: z.string().min(1).default('.data/otp'),
  /** The SMS gateway one-time codes are sent through; without it only development mode may start (file delivery). */
  SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Sent as `Authorization: Bearer <key>`; required with SMS_GATEWAY_URL. */
  SMS_GATEWAY_API_KEY: z.string().min(16, 'SMS_GATEWAY_API_KEY must be at least 16 characters').optional(),
  /** One attempt's limit (connect to last byte). */
  SMS_GATEWAY_TIMEOUT_MS: positiveInt.default(5000),
  /** Attempts per code, the first included: retried on 429, 5xx, timeouts and network errors. */
  SMS_GATEWAY_MAX_ATTEMPTS: positiveInt.max(10).default(3),
  /** Wait before the second attempt; doubled before each further one. */
  SMS_GATEWAY_BACKOFF_MS: positiveInt.default(300),
  ACCESS_TOKEN_TTL_SEC: positiveInt.default(900),
  /** Idle lifetime of a refresh token: each refresh issues a new one, valid this long (but see the next one). */
  REFRESH_TOKEN_TTL_SEC: positiveInt.default(14 * 24 * 3600),
  /** Absolute lifetime of a session: no refresh extends it past this long after the sign-in that began it. */
  SESSION_MAX_LIFETIME_SEC: positiveInt.default(30 * 24 * 3600),
  /**
   * Development only: the one password of every seeded staff account (no forced change), so the demo, the
   * simulator's bots and the browser tests sign in unattended. Outside development mode each seeded account gets its
   * own one-time password, printed once by `nx run identity:seed`, and this variable is refused.
   */
  SEED_STAFF_PASSWORD: z.string().min(12, 'SEED_STAFF_PASSWORD must be at least 12 characters').optional(),
  /**
   * Encrypts staff TOTP secrets at rest (AES-256-GCM under a key derived from it). Changing it needs a rotation
   * (STAFF_TOTP_KEY_PREVIOUS, then `nx run identity:rekey`): a secret that opens with neither stops the start.
   */
  STAFF_TOTP_KEY: z.string().min(32, 'STAFF_TOTP_KEY must be at least 32 characters').optional(),
  /** During a rotation of STAFF_TOTP_KEY: the key being replaced, until `nx run identity:rekey` has re-sealed. */
  STAFF_TOTP_KEY_PREVIOUS: z.string().min(32, 'STAFF_TOTP_KEY_PREVIOUS must be at least 32 characters').optional(),
  /**
   * Who must have TOTP before a session is opened: `all` staff, `operator`s only, or `none`. Default: `all`, and
   * `none` in development mode (the demo's, the simulator's and the browser tests' staff sign in unattended).
   */
  STAFF_TOTP_REQUIRED: z.enum(['all', 'operator', 'none']).optional(),
  /**
   * Encrypts the private halves of the token signing keys at rest (AES-256-GCM under a key derived from it): the
   * database alone cannot sign tokens. Changing it without re-sealing stops the service at start with a clear error.
   */
  SIGNING_KEY_KEK: z.string().min(32, 'SIGNING_KEY_KEK must be at least 32 characters').optional(),
  /** During a rotation of SIGNING_KEY_KEK: the KEK being replaced, until `nx run identity:rekey` has re-sealed. */
  SIGNING_KEY_KEK_PREVIOUS: z.string().min(32, 'SIGNING_KEY_KEK_PREVIOUS must be at least 32 characters').optional(),
  /**
   * How long `signing-keys rotate` publishes a new key in the JWKS before it signs: longer than the verifiers' JWKS
   * cache (10 min) and this service's key reload (1 min), so no verifier meets a token whose key it has not seen.
   */
  SIGNING_KEY_PUBLISH_SEC: positiveInt.default(900),
  /**
   * Proxies in front of identity that append to X-Forwarded-For (the gateway: 1), so sign-in throttling keys on the
   * client's address rather than the gateway's. Identity must then be reachable only through them: a client that
   * reaches it directly could name any address.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(1),
});

/** How one-time codes reach citizens. */
export type OtpDeliverySetting =
  | { kind: 'sms'; url: string; apiKey: string; timeoutMs: number; maxAttempts: number; backoffMs: number }
  | { kind: 'dev-file'; dir: string };

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  const otpDelivery: OtpDeliverySetting | null = c.SMS_GATEWAY_URL
    ? c.SMS_GATEWAY_API_KEY
      ? {
          kind: 'sms',
          url: c.SMS_GATEWAY_URL,
          apiKey: c.SMS_GATEWAY_API_KEY,
          timeoutMs: c.SMS_GATEWAY_TIMEOUT_MS,
          maxAttempts: c.SMS_GATEWAY_MAX_ATTEMPTS,
          backoffMs: c.SMS_GATEWAY_BACKOFF_MS,
        }
      : null
    : c.HOSO_DEV_MODE
      ? { kind: 'dev-file', dir: c.OTP_DEV_DIR }
      : null;
  // Secrets have development defaults only in development mode: any other process without them must not start.
  const problems = [
    ...devModeProblems(c, {
      OTP_SECRET: c.OTP_SECRET,
      STAFF_TOTP_KEY: c.STAFF_TOTP_KEY,
      SIGNING_KEY_KEK: c.SIGNING_KEY_KEK,
    }),
    ...redisCredentialProblems(c),
    ...kafkaCredentialProblems(c),
  ];
  if (!c.HOSO_DEV_MODE && c.SEED_STAFF_PASSWORD !== undefined) {
    problems.push(
      `SEED_STAFF_PASSWORD: one shared staff password is allowed only with ${DEV_MODE_VAR}=1; ` +
        'outside it `nx run identity:seed` gives each account its own one-time password',
    );
  }
  if (!otpDelivery) {
    problems.push(
      c.SMS_GATEWAY_URL
        ? 'SMS_GATEWAY_API_KEY: required with SMS_GATEWAY_URL'
        : `SMS_GATEWAY_URL: required; without it one-time codes would only be written to files (OTP_DEV_DIR), ` +
            `which is allowed only with ${DEV_MODE_VAR}=1`,
    );
  }
  if (problems.length || !otpDelivery) throw new ConfigError(problems);
  return Object.freeze({
    ...c,
    devMode: c.HOSO_DEV_MODE,
    databaseUrl: c.IDENTITY_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_identity'),
    databaseMigrationUrl: c.IDENTITY_DATABASE_MIGRATION_URL,
    otpSecret: c.OTP_SECRET ?? DEV_OTP_SECRET,
    /** Null outside development mode: seeded accounts get one-time passwords instead. */
    seedStaffPassword: c.HOSO_DEV_MODE ? (c.SEED_STAFF_PASSWORD ?? DEV_STAFF_PASSWORD) : null,
    staffTotpKey: c.STAFF_TOTP_KEY ?? DEV_STAFF_TOTP_KEY,
    staffTotpKeyPrevious: c.STAFF_TOTP_KEY_PREVIOUS ?? null,
    staffTotpRequired: c.STAFF_TOTP_REQUIRED ?? (c.HOSO_DEV_MODE ? 'none' : 'all'),
    signingKeyKek: c.SIGNING_KEY_KEK ?? DEV_SIGNING_KEY_KEK,
    signingKeyKekPrevious: c.SIGNING_KEY_KEK_PREVIOUS ?? null,
    otpDelivery,
  });
}
