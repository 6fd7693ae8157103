import { z } from 'zod';
import { infraEnvShape, parseEnv, port, positiveInt, postgresUrl, withDatabase } from '@hoso/config';

export const configSchema = z.object({
  ...infraEnvShape,
  NODE_ENV: z.string().default('development'),
  PORT: port.default(3004),
  CASE_DATABASE_URL: postgresUrl.optional(),
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
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  return Object.freeze({
    ...c,
    databaseUrl: c.CASE_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_case'),
    queuePrefix: c.QUEUE_PREFIX ?? c.KAFKA_TOPIC_PREFIX.replace(/:/g, '-'),
  });
}
