import { z } from 'zod';
import { originOf } from './intents/domain/return-url';
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

const DEV_API_KEY = 'dev-payment-gateway-api-key';
const DEV_WEBHOOK_SECRET = 'dev-payment-gateway-webhook-secret';

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3003),
  PAYMENT_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: PAYMENT_DATABASE_URL. */
  PAYMENT_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().default('payment'),
  /** BullMQ queue-name prefix; default: the topic prefix, so parallel test runs never share queues. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:]*$/, 'must not contain ":"')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PAYMENT_GATEWAY_URL: z.url().default('http://127.0.0.1:3006'),
  PAYMENT_GATEWAY_API_KEY: z.string().min(16).optional(),
  PAYMENT_GATEWAY_WEBHOOK_SECRET: z.string().min(16).optional(),
  PAYMENT_GATEWAY_TIMEOUT_MS: positiveInt.default(5000),
  /** Where the gateway sends callbacks; default: this server's own address (tests listen on port 0). */
  PAYMENT_CALLBACK_URL: z.url().optional(),
  /** Where the gateway sends the citizen's browser after checkout when the checkout request names no page. */
  PAYMENT_RETURN_URL: z.url().optional(),
  /** Origins a checkout's own `returnUrl` may point to (comma-separated); anything else is refused (open redirect). */
  PAYMENT_RETURN_ORIGINS: z
    .string()
    .default('http://127.0.0.1:3000,http://localhost:3000')
    .transform((raw, ctx) => {
      const origins: string[] = [];
      for (const item of raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const origin = originOf(item);
        if (origin) origins.push(origin);
        else ctx.addIssue({ code: 'custom', message: `"${item}" is not an http(s) origin (scheme://host[:port])` });
      }
      return origins;
    }),
  PAYMENT_INTENT_TTL_SEC: positiveInt.default(86_400),
  /** Accepted clock skew of a callback's signed timestamp. */
  CALLBACK_TOLERANCE_SEC: positiveInt.default(300),
  RECONCILE_EVERY_SEC: positiveInt.default(60),
  /** How far back each reconciliation reads the gateway's ledger. */
  RECONCILE_LOOKBACK_SEC: positiveInt.default(172_800),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // Development defaults exist for HOSO_DEV_MODE=1 only (the demo, the tests); every other process brings its own.
  assertDevModeSettings(
    c,
    {
      PAYMENT_GATEWAY_API_KEY: c.PAYMENT_GATEWAY_API_KEY,
      PAYMENT_GATEWAY_WEBHOOK_SECRET: c.PAYMENT_GATEWAY_WEBHOOK_SECRET,
    },
    [...redisCredentialProblems(c), ...kafkaCredentialProblems(c)],
  );
  return Object.freeze({
    ...c,
    databaseUrl: c.PAYMENT_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_payment'),
    databaseMigrationUrl: c.PAYMENT_DATABASE_MIGRATION_URL,
    gatewayApiKey: c.PAYMENT_GATEWAY_API_KEY ?? DEV_API_KEY,
    webhookSecret: c.PAYMENT_GATEWAY_WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET,
    queuePrefix: c.QUEUE_PREFIX ?? c.KAFKA_TOPIC_PREFIX.replace(/:/g, '-'),
  });
}
