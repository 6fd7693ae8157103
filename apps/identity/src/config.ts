import { z } from 'zod';
import { infraEnvShape, parseEnv, port, positiveInt, postgresUrl, withDatabase } from '@hoso/config';
import { REGISTRY_DEFAULT_SEED, REGISTRY_MAX_CITIZENS } from '@hoso/population';

const DEV_OTP_SECRET = 'hoso-dev-otp-secret-not-for-production';
const DEV_STAFF_PASSWORD = 'hoso-dev-password';

export const configSchema = z
  .object({
    ...infraEnvShape,
    NODE_ENV: z.string().default('development'),
    PORT: port.default(3002),
    IDENTITY_DATABASE_URL: postgresUrl.optional(),
    KAFKA_TOPIC_PREFIX: z.string().default(''),
    KAFKA_GROUP_ID: z.string().default('identity'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REGISTRY_SEED_COUNT: z.coerce.number().int().min(0).max(REGISTRY_MAX_CITIZENS).default(200_000),
    REGISTRY_SEED: z.coerce.number().int().default(REGISTRY_DEFAULT_SEED),
    OTP_SECRET: z.string().min(32, 'OTP_SECRET must be at least 32 characters').optional(),
    OTP_TTL_SEC: positiveInt.default(300),
    OTP_DEV_DIR: z.string().min(1).default('.data/otp'),
    ACCESS_TOKEN_TTL_SEC: positiveInt.default(900),
    REFRESH_TOKEN_TTL_SEC: positiveInt.default(14 * 24 * 3600),
    SEED_STAFF_PASSWORD: z.string().min(12, 'SEED_STAFF_PASSWORD must be at least 12 characters').optional(),
  })
  // Secrets have development defaults only: a production process without them must not start.
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    for (const name of ['OTP_SECRET', 'SEED_STAFF_PASSWORD'] as const) {
      if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is required in production` });
    }
  });

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  return Object.freeze({
    ...c,
    production: c.NODE_ENV === 'production',
    databaseUrl: c.IDENTITY_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_identity'),
    otpSecret: c.OTP_SECRET ?? DEV_OTP_SECRET,
    seedStaffPassword: c.SEED_STAFF_PASSWORD ?? DEV_STAFF_PASSWORD,
  });
}
