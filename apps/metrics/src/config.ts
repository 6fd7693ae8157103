import { z } from 'zod';
import {
  assertDevModeSettings,
  devModeShape,
  infraEnvShape,
  parseEnv,
  port,
  positiveInt,
  postgresUrl,
  kafkaCredentialProblems,
  operatorKafkaCredentialProblems,
  operatorKafkaSasl,
  redisCredentialProblems,
  withDatabase,
} from '@hoso/config';

/** Consumer groups whose progress the operator readouts show (groups are not prefixed; topics are). */
const DEFAULT_KNOWN_GROUPS = 'intake,identity,payment,case-tracking,metrics';

export const configSchema = z.object({
  ...infraEnvShape,
  ...devModeShape,
  PORT: port.default(3005),
  METRICS_DATABASE_URL: postgresUrl.optional(),
  /** The same database as its owner role, for migrations only (deploy/local/db-roles.ts); default: METRICS_DATABASE_URL. */
  METRICS_DATABASE_MIGRATION_URL: postgresUrl.optional(),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().default('metrics'),
  /**
   * The `operator` Kafka user, with which the dead-letter console reads dead letters and replays them to their source
   * topics: metrics' own user may not (docs/security.md). Development default with HOSO_DEV_MODE=1.
   */
  KAFKA_OPERATOR_USERNAME: z.string().trim().min(1).optional(),
  KAFKA_OPERATOR_PASSWORD: z.string().min(16, 'must be at least 16 characters').optional(),
  /** BullMQ queue-name prefix; default: the topic prefix, so parallel test runs never share queues. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:]*$/, 'must not contain ":"')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often the completion-rate snapshots are published (BullMQ repeatable job). */
  SNAPSHOT_EVERY_SEC: positiveInt.default(300),
  /** How often topic end offsets and group commits are sampled for the throughput readout. */
  OPS_SAMPLE_EVERY_MS: positiveInt.default(5000),
  KNOWN_GROUPS: z.string().default(DEFAULT_KNOWN_GROUPS).transform(commaList),
  /** How often the operator stream (`GET /operations/stream`) sends its events. */
  OPS_STREAM_EVERY_MS: positiveInt.min(100).default(2000),
  /** How often the stream sends a comment line, so proxies do not close an idle-looking connection. */
  OPS_STREAM_HEARTBEAT_MS: positiveInt.min(100).default(15_000),
  /**
   * Queue-name prefixes whose BullMQ queues the operator readout lists (every service of an environment uses the
   * same QUEUE_PREFIX); default: this service's own queue prefix.
   */
  OPS_QUEUE_PREFIXES: z
    .string()
    // Set but empty: the empty prefix, i.e. every queue on the Redis server.
    .transform((raw) => (raw.trim() === '' ? [''] : commaList(raw)))
    .pipe(z.array(z.string().regex(/^[^:]*$/, 'a queue prefix must not contain ":"')))
    .optional(),
});

function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // No secrets of its own beyond its Redis and Kafka users' passwords.
  assertDevModeSettings(c, {}, [
    ...redisCredentialProblems(c),
    ...kafkaCredentialProblems(c),
    ...operatorKafkaCredentialProblems(c),
  ]);
  const queuePrefix = c.QUEUE_PREFIX ?? c.KAFKA_TOPIC_PREFIX.replace(/:/g, '-');
  return Object.freeze({
    ...c,
    databaseUrl: c.METRICS_DATABASE_URL ?? withDatabase(c.DATABASE_URL, 'hoso_metrics'),
    databaseMigrationUrl: c.METRICS_DATABASE_MIGRATION_URL,
    queuePrefix,
    opsQueuePrefixes: c.OPS_QUEUE_PREFIXES ?? [queuePrefix],
    operatorKafkaSasl: operatorKafkaSasl(c),
  });
}
