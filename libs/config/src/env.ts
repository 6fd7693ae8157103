import { z } from 'zod';

/** Thrown at start-up when the environment is wrong; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` once against `schema` and returns a frozen, typed config.
 * Every problem is reported at once (not only the first), so a broken deployment is fixed in one go.
 */
export function parseEnv<S extends z.ZodType<object>>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        // The variable is the first path element; list items (KAFKA_BROKERS.0) are reported as the whole variable.
        const name = issue.path.length ? String(issue.path[0]) : '(root)';
        const value = issue.path.length ? env[name] : undefined;
        return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
      }),
    );
  }
  return Object.freeze(result.data);
}

/** A comma-separated list of host:port pairs, e.g. `127.0.0.1:9092,127.0.0.1:9094`. */
export const hostPortList = z
  .string()
  .trim()
  .min(1)
  .transform((raw) => raw.split(',').map((s) => s.trim()))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port[,host:port…]')));

export const postgresUrl = z
  .string()
  .trim()
  .refine((raw) => /^postgres(ql)?:\/\//.test(raw) && URL.canParse(raw), {
    message: 'expected a postgres:// URL',
  });

export const redisUrl = z
  .string()
  .trim()
  .refine((raw) => /^rediss?:\/\//.test(raw) && URL.canParse(raw), {
    message: 'expected a redis:// URL',
  });

export const port = z.coerce.number().int().min(1).max(65535);

export const positiveInt = z.coerce.number().int().positive();

/** `true/false/1/0/yes/no`, because `z.coerce.boolean()` would read "false" as true. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * A process's own Kafka user (SASL/SCRAM-SHA-512; see kafka-credentials.ts). Unset: in development mode the process's
 * development user, else a refusal. SCRAM's salted hashes are only as strong as the password, hence the minimum length.
 */
export const kafkaCredentialsShape = {
  KAFKA_USERNAME: z.string().trim().min(1).optional(),
  KAFKA_PASSWORD: z.string().min(16, 'must be at least 16 characters').optional(),
};

/**
 * How far V8 lets a process's old generation grow past what its last full collection kept, in percent
 * (`--heap-growing-percent`). V8's own policy (0 here) grows it up to 4× the live heap when the process allocates
 * fast, which is what a busy service does: under load a service whose live heap is ~50 MB reached 260–290 MB of
 * resident memory. 25 keeps it near the live heap at no measured cost in CPU (docs/performance.md, "V8's old
 * generation"); a function, so that the gateway, which is not a service, shares it.
 */
export function heapShape() {
  return { HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(25) };
}

/** How a service process runs, whatever the service. */
export const serviceRuntimeShape = {
  /**
   * The address its HTTP server binds. 127.0.0.1 (the default) keeps a development service off the network; in a
   * container it must be 0.0.0.0, or the kubelet's probes and the other pods cannot reach it.
   */
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /**
   * Whether it applies its pending migrations when it starts (default: yes). A cluster runs them once per release
   * with the service's migrate command (a Kubernetes Job) and starts the replicas with false: a replica then only
   * checks that nothing is pending, and refuses to start otherwise, so no pod serves a schema older than its code.
   */
  MIGRATE_ON_START: booleanFlag.default(true),
  ...heapShape(),
};

/** The three servers every hoso process talks to; defaults are the local development ones. */
export const infraEnvShape = {
  KAFKA_BROKERS: hostPortList.default(['127.0.0.1:9092']),
  ...kafkaCredentialsShape,
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /**
   * A consumer's fetch: the broker answers once this many bytes are ready, or after KAFKA_FETCH_MAX_WAIT_MS.
   * 1 byte (the default) answers at once: lowest latency, but at a few events a second every batch — and so every
   * inbox transaction — holds one or two events. A larger value trades up to the wait for fewer, larger batches.
   */
  KAFKA_FETCH_MIN_BYTES: positiveInt.default(1),
  KAFKA_FETCH_MAX_WAIT_MS: positiveInt.max(10_000).default(500),
  /**
   * How long the broker waits for a silent consumer before it takes the member's partitions away, and how often a
   * live one says it is there. A process restarted under its own instance name leaves first and is not held by this;
   * a replica that died for good is: the survivors wait this long for its partitions. 30 s suits one process per
   * service; replicated deployments take ~10 s with a 1 s heartbeat (deploy/k8s). The broker accepts 6 s to 30 min.
   */
  KAFKA_SESSION_TIMEOUT_MS: positiveInt.min(6_000).max(1_800_000).default(30_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: positiveInt.min(100).default(3_000),
  ...serviceRuntimeShape,
};

export const infraEnvSchema = z.object(infraEnvShape);
export type InfraEnv = z.output<typeof infraEnvSchema>;

/** Same server as `url`, another database: each service owns one database on the shared server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
