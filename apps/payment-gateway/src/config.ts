import { z } from 'zod';
import {
  ConfigError,
  DEV_MODE_VAR,
  devModeProblems,
  devModeShape,
  parseEnv,
  port,
  positiveInt,
  postgresUrl,
  serviceRuntimeShape,
  withDatabase,
} from '@hoso/config';

export const callbackModes = ['normal', 'delay', 'duplicate', 'drop'] as const;
export type CallbackMode = (typeof callbackModes)[number];

const DEV_API_KEY = 'dev-payment-gateway-api-key';
const DEV_WEBHOOK_SECRET = 'dev-payment-gateway-webhook-secret';

/**
 * The simulator stands for the national payment platform: it is outside hoso, so it needs no Kafka
 * or Redis, only its own database and the two secrets it shares with the payment service. It takes payments that
 * never happened, so it starts in development mode only.
 */
export const configSchema = z.object({
  ...devModeShape,
  PORT: port.default(3006),
  ...serviceRuntimeShape,
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
  PAYMENT_GATEWAY_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: PAYMENT_GATEWAY_DATABASE_URL. */
  PAYMENT_GATEWAY_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  PAYMENT_GATEWAY_API_KEY: z.string().min(16).optional(),
  PAYMENT_GATEWAY_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** Base URL the citizen's browser reaches the checkout pages at; default: the address the server listens on. */
  GATEWAY_PUBLIC_URL: z.url().optional(),
  GATEWAY_CALLBACK_MODE: z.enum(callbackModes).default('normal'),
  GATEWAY_CALLBACK_DELAY_MS: positiveInt.default(2000),
  GATEWAY_CALLBACK_MAX_ATTEMPTS: positiveInt.max(20).default(5),
  GATEWAY_CALLBACK_BACKOFF_MS: positiveInt.default(250),
  GATEWAY_CALLBACK_TIMEOUT_MS: positiveInt.default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // A simulator that confirms payments nobody made must never stand in for the real platform by mistake.
  const problems = c.HOSO_DEV_MODE
    ? devModeProblems(c, {})
    : [`${DEV_MODE_VAR}: the payment-gateway simulator starts only in development mode (${DEV_MODE_VAR}=1)`];
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    ...c,
    apiKey: c.PAYMENT_GATEWAY_API_KEY ?? DEV_API_KEY,
    webhookSecret: c.PAYMENT_GATEWAY_WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET,
    databaseUrl: c.PAYMENT_GATEWAY_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_paygw'),
    databaseMigrationUrl: c.PAYMENT_GATEWAY_DATABASE_MIGRATION_URL,
  });
}
