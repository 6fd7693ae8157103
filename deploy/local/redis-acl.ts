/**
 * The Redis users of one hoso environment, defined once: `npm run infra -- up` starts its own Redis with the file
 * written from here, `npm run infra -- redis-acl` writes the same file for deploy/docker-compose.yml, and `up` and
 * `status` check a running Redis against it.
 *
 * One user per service that talks to Redis, each limited to its own keys: its BullMQ queues (`bull:<queue prefix>`
 * followed by the service's queue-name prefix), its TimerKeeper marker (`hoso:timers:<topic prefix><service>`), the
 * gateway its rate-limit counters. Metrics also reads (never writes) every queue of the environment for the operator
 * readout. An `admin` user is for operators (`ACL LOAD` after a password change, inspection); the default user is off,
 * so a client without a user and password is refused. The payment-gateway simulator uses no Redis and has no user.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, devModeProblems, devModeShape, parseEnv } from '@hoso/config';

export const REDIS_SERVICE_USERS = ['identity', 'intake', 'payment', 'case-tracking', 'metrics', 'gateway'] as const;
export const REDIS_USERS = [...REDIS_SERVICE_USERS, 'admin'] as const;
export type RedisUser = (typeof REDIS_USERS)[number];

/** `REDIS_PASSWORD_CASE_TRACKING` for `case-tracking`. */
export function redisPasswordVariable(user: RedisUser): string {
  return `REDIS_PASSWORD_${user.toUpperCase().replace(/-/g, '_')}`;
}

/** Published development passwords: accepted only with HOSO_DEV_MODE=1. */
export function devRedisPassword(user: RedisUser): string {
  return `hoso-dev-redis-${user}`;
}

/**
 * BullMQ queue names start with the service's own prefix (payment-expiry, case-sla, metrics-snapshots): a new queue
 * that follows the rule needs no change here. Identity, intake and the gateway have no queues.
 */
const QUEUE_NAME_PREFIXES: Readonly<Partial<Record<RedisUser, string>>> = {
  payment: 'payment-',
  'case-tracking': 'case-',
  metrics: 'metrics-',
};

/** The key prefixes of one environment, derived from the variables the services read, the way they derive them. */
export interface RedisEnvironment {
  /** BullMQ queue-name prefix: QUEUE_PREFIX, else the topic prefix with ':' as '-' (payment, case-tracking, metrics). */
  queuePrefix: string;
  /** TimerKeeper's marker namespace: the topic prefix as it is. */
  timerNamespace: string;
  /** The gateway's counters: `<QUEUE_PREFIX>:gateway:rate-limit:…`, without the prefix when QUEUE_PREFIX is unset. */
  counterPrefix: string;
  /** Queue-name prefixes the metrics readout lists: OPS_QUEUE_PREFIXES, else the queue prefix ('' = every queue). */
  readoutPrefixes: string[];
}

/**
 * Letters, digits, '.', '_' and '-' (and ':' in a topic prefix) only: the prefixes are written into ACL key patterns,
 * where a glob character would widen a pattern and a space or quote would break the file.
 */
const SAFE = /^[A-Za-z0-9._-]*$/;
const SAFE_MESSAGE = 'only letters, digits, ".", "_" and "-" (it is written into Redis ACL key patterns)';

const password = z.string().min(16, 'must be at least 16 characters');

export const redisAclEnvSchema = z.object({
  ...devModeShape,
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(
      /^[A-Za-z0-9._:-]*$/,
      'only letters, digits, ".", "_", "-" and ":" (it is written into Redis ACL key patterns)',
    )
    .default(''),
  QUEUE_PREFIX: z.string().regex(SAFE, SAFE_MESSAGE).optional(),
  OPS_QUEUE_PREFIXES: z
    .string()
    .transform((raw) => (raw.trim() === '' ? [''] : raw.split(',').map((s) => s.trim())))
    .pipe(z.array(z.string().regex(SAFE, SAFE_MESSAGE)))
    .optional(),
  ...(Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), password.optional()])) as Record<
    string,
    z.ZodOptional<typeof password>
  >),
});

export interface RedisAclSettings {
  environment: RedisEnvironment;
  /** Each user's password: its variable, else (development mode only) its development default. */
  passwords: Partial<Record<RedisUser, string>>;
  /** Why no file may be written: passwords unset outside development mode, development mode in production. */
  problems: string[];
  /**
   * Development mode (HOSO_DEV_MODE=1): the default user stays open besides the service users, because the local
   * stack (`npm run demo`, the tests) hands every service one password-less REDIS_URL. Outside it the default user
   * is off.
   */
  devMode: boolean;
}

/**
 * The environment and the passwords from `env`. Malformed values throw a ConfigError at once; missing passwords are
 * `problems` only, because checking a running Redis needs none of them, while writing a file needs them all.
 */
export function redisAclSettings(env: Record<string, string | undefined> = process.env): RedisAclSettings {
  const c = parseEnv(redisAclEnvSchema, env);
  const given = c as unknown as Record<string, string | undefined>;
  const queuePrefix = c.QUEUE_PREFIX ?? c.KAFKA_TOPIC_PREFIX.replace(/:/g, '-');
  const passwords: Partial<Record<RedisUser, string>> = {};
  for (const user of REDIS_USERS) {
    const value = given[redisPasswordVariable(user)] ?? (c.HOSO_DEV_MODE ? devRedisPassword(user) : undefined);
    if (value !== undefined) passwords[user] = value;
  }
  return {
    environment: {
      queuePrefix,
      timerNamespace: c.KAFKA_TOPIC_PREFIX,
      counterPrefix: `${c.QUEUE_PREFIX ? `${c.QUEUE_PREFIX}:` : ''}gateway:rate-limit:`,
      readoutPrefixes: c.OPS_QUEUE_PREFIXES ?? [queuePrefix],
    },
    passwords,
    devMode: c.HOSO_DEV_MODE,
    problems: devModeProblems(
      c,
      Object.fromEntries(REDIS_USERS.map((u) => [redisPasswordVariable(u), given[redisPasswordVariable(u)]])),
    ),
  };
}

/** The TimerKeeper marker of `service` (libs/nest-kit/src/timers.ts). */
export function timerMarkerKey(e: RedisEnvironment, service: string): string {
  return `hoso:timers:${e.timerNamespace}${service}`;
}

/**
 * What every service user may run, found by running BullMQ, ioredis and rate-limiter-flexible against a Redis that
 * refuses everything else (deploy/local/redis-acl.int-spec.ts): connection set-up (AUTH, CLIENT SETNAME, PING), the
 * reads and writes of its own keys (BullMQ's scripts run them, a worker's blocking BZPOPMIN among them) and INFO
 * (ioredis' ready check, BullMQ's version check, TimerKeeper's restart check). Never the server-wide commands:
 * `-@dangerous` (FLUSHALL, KEYS, CONFIG, CLIENT KILL, …), `-@scripting` (SCRIPT FLUSH/KILL, FUNCTION LOAD/DELETE
 * would reach every user's scripts), and SCAN and RANDOMKEY, which list keys outside the user's patterns.
 */
const SERVICE_COMMANDS = [
  '+@connection',
  '+@read',
  '+@write',
  '-@dangerous',
  '-@scripting',
  '+info',
  '-scan',
  '-randomkey',
];
/**
 * Lua scripts defined on the ioredis client (BullMQ's, rate-limiter-flexible's counter) run with EVALSHA and are sent
 * with EVAL when Redis does not have them yet.
 */
const SCRIPTS = ['+evalsha', '+eval'];

/**
 * Each user's ACL rules, without its password. Keys are read-write (`~`) unless marked read-only (`%R~`); no user
 * has a Pub/Sub channel (`resetchannels`): neither BullMQ nor the services publish.
 */
export function redisAclRules(e: RedisEnvironment): Record<RedisUser, string[]> {
  const queues = (user: RedisUser) => `~bull:${e.queuePrefix}${QUEUE_NAME_PREFIXES[user] ?? ''}*`;
  const marker = (user: RedisUser) => `~${timerMarkerKey(e, user)}`;
  const readout = e.readoutPrefixes.map((p) => `bull:${p}*`);
  return {
    identity: ['resetchannels', marker('identity'), ...SERVICE_COMMANDS],
    intake: ['resetchannels', marker('intake'), ...SERVICE_COMMANDS],
    payment: ['resetchannels', queues('payment'), marker('payment'), ...SERVICE_COMMANDS, ...SCRIPTS],
    'case-tracking': [
      'resetchannels',
      queues('case-tracking'),
      marker('case-tracking'),
      ...SERVICE_COMMANDS,
      ...SCRIPTS,
    ],
    metrics: [
      'resetchannels',
      queues('metrics'),
      marker('metrics'),
      ...readout.map((p) => `%R~${p}`),
      ...SERVICE_COMMANDS,
      ...SCRIPTS,
      // The readout finds the environment's queues by their `:meta` keys.
      '+scan',
      // BullMQ's getJobCounts is a script, and Redis takes every key a script is given as read-write: this selector
      // lets metrics start scripts on the other queues' keys, while each command inside a script is still checked
      // against the read-only patterns above, so a script that writes there is refused.
      `(${readout.map((p) => `~${p}`).join(' ')} +evalsha +eval)`,
    ],
    gateway: ['resetchannels', `~${e.counterPrefix}*`, ...SERVICE_COMMANDS, ...SCRIPTS],
    admin: ['~*', '&*', '+@all'],
  };
}

/** `#<sha256>`: the file holds password hashes, never a password. */
function passwordHash(password: string): string {
  return `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

/**
 * The ACL file (`aclfile`) of the environment: the default user off (open in development mode), then one line per
 * user. Throws a ConfigError
 * naming every variable at fault when a password is missing outside development mode. (Redis accepts no comment
 * lines in an ACL file.)
 */
export function redisAclFile(s: RedisAclSettings): string {
  if (s.problems.length) throw new ConfigError(s.problems);
  const rules = redisAclRules(s.environment);
  const lines = [
    s.devMode ? 'user default on nopass ~* &* +@all' : 'user default off resetpass resetkeys resetchannels -@all',
  ];
  for (const user of REDIS_USERS) {
    const pw = s.passwords[user];
    if (pw === undefined) throw new ConfigError([`${redisPasswordVariable(user)}: required`]);
    lines.push(['user', user, 'on', passwordHash(pw), ...rules[user]].join(' '));
  }
  return `${lines.join('\n')}\n`;
}

/** `url` with `user` and `password` in it (percent-encoded), as a service's REDIS_URL. */
export function redisUserUrl(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** What a check of a running Redis found out about its users (see inspectRedis in redis-settings.ts). */
export interface RedisAccess {
  /** A client that sends no AUTH is served: the default user is on without a password. */
  defaultOpen: boolean;
  /** Why REDIS_URL's own user is refused (NOAUTH, WRONGPASS), null when it is served. */
  urlRefused: string | null;
  /** The server's users, when REDIS_URL's user may list them (ACL USERS); null when it may not. */
  users: string[] | null;
  /** Per user whose password is known and who is not known to be missing: whether Redis accepted the password. */
  logins: Partial<Record<RedisUser, boolean>>;
}

/** A warning line for each way the Redis falls short of this environment's users (empty when it has them). */
export function redisAclWarnings(access: RedisAccess, s: RedisAclSettings): string[] {
  const warnings: string[] = [];
  if (access.defaultOpen) {
    warnings.push(
      "the default user needs no password: any client may read and delete every key, other services' queues included",
    );
  }
  const missing = REDIS_USERS.filter((u) => access.users !== null && !access.users.includes(u));
  const present = REDIS_USERS.filter((u) => !missing.includes(u));
  if (missing.length) {
    warnings.push(`users missing: ${missing.join(', ')} (start Redis with the file of npm run infra -- redis-acl)`);
  }
  const refused = present.filter((u) => access.logins[u] === false);
  if (refused.length) {
    warnings.push(`users refusing their REDIS_PASSWORD_<USER> (or missing): ${refused.join(', ')}`);
  }
  const unchecked = present.filter((u) => s.passwords[u] === undefined).map(redisPasswordVariable);
  if (unchecked.length) warnings.push(`users not checked, their passwords are unset: ${unchecked.join(', ')}`);
  if (access.urlRefused !== null) {
    warnings.push(
      `REDIS_URL is refused (${access.urlRefused}): give it a user and its password, redis://<user>:<password>@host:port`,
    );
  }
  return warnings;
}
