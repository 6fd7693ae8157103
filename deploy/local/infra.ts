/**
 * Local infrastructure without Docker: `npm run infra -- up|down|status|logs|reset`.
 *
 * - Kafka: a real Apache Kafka broker (KRaft, one combined node on 127.0.0.1) assembled from Maven
 *   Central jars into a cache outside the git tree, started in the background with a small heap. Clients sign in with
 *   SASL/SCRAM-SHA-512 (kafka-users.ts) and may do only what the ACLs of libs/messaging kafkaAclPlan grant them.
 * - PostgreSQL: the server at DATABASE_URL; one database per service is created.
 * - Redis: the server at REDIS_URL; if none answers and redis-server is installed, one is started (append-only
 *   file on, no eviction: it holds the services' timers) with the users of redis-acl.ts and the default user off.
 *   `up` and `status` warn when the Redis at REDIS_URL could evict or lose jobs, or lacks those users.
 *
 * `up` is idempotent; `down` stops only what `up` started (recorded in .data/infra-state.json).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { infraEnvSchema, parseEnv, toolKafkaSasl } from '@hoso/config';
import { applyKafkaAcls, kafkaAclPlan } from '@hoso/messaging';
import { applyDbRoles, dbRoleNames, dbRolesPlans, dbRolesSettings } from './db-roles';
import {
  REDIS_USERS,
  redisAclFile,
  redisAclSettings,
  redisAclWarnings,
  redisPasswordVariable,
  type RedisAclSettings,
} from './redis-acl';
import { inspectRedis, redisJobWarnings, redisServerArgs, redisVersion, type RedisInspection } from './redis-settings';
import { ensureTopics } from './topics';
import { credentialsFingerprint, kafkaUserSettings, scramFormatArgs, type KafkaUserSettings } from './kafka-users';

export const SERVICE_DATABASES = [
  'hoso_intake',
  'hoso_identity',
  'hoso_payment',
  'hoso_paygw',
  'hoso_case',
  'hoso_metrics',
] as const;

const ROOT = resolve(__dirname, '../..');
const DATA = process.env['HOSO_DATA_DIR'] ?? join(ROOT, '.data');
const STATE_FILE = join(DATA, 'infra-state.json');
/** Newest Kafka with which the whole kafkajs suite passes; see docs/operations.md. */
const KAFKA_VERSION = process.env['HOSO_KAFKA_VERSION'] ?? '4.4.0';
const CACHE = process.env['HOSO_CACHE_DIR'] ?? join(homedir(), '.cache', 'hoso');
const KAFKA_HOME = join(CACHE, `kafka-${KAFKA_VERSION}`);
const KAFKA_DATA = join(DATA, 'kafka');
const KAFKA_HEAP = process.env['HOSO_KAFKA_HEAP'] ?? '-Xms256m -Xmx512m';

interface State {
  kafka?: { pid: number; version: string };
  redis?: { pid: number; port: number };
}

const env = parseEnv(infraEnvSchema);

function readState(): State {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as State;
  } catch {
    return {};
  }
}

function writeState(state: State): void {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  onTimeout?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000}s${onTimeout ? `\n${onTimeout()}` : ''}`);
}

function hostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
}

function line(component: string, state: string, detail = ''): void {
  const mark =
    state === 'up' || state === 'started' || state === 'ready'
      ? '✔'
      : state === 'stopped'
        ? '■'
        : state === 'warning'
          ? '!'
          : '✘';
  console.log(`${mark} ${component.padEnd(11)} ${state.padEnd(8)} ${detail}`.trimEnd());
}

// ---------------------------------------------------------------- Kafka

function kafkaAdmin() {
  return new Kafka({
    sasl: toolKafkaSasl(),
    clientId: 'hoso-infra',
    brokers: env.KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
}

async function kafkaAnswers(): Promise<boolean> {
  const admin = kafkaAdmin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function fetchKafka(): void {
  if (existsSync(join(KAFKA_HOME, '.complete'))) return;
  console.log(`… fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${KAFKA_HOME}`);
  const tmp = `${KAFKA_HOME}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(__dirname, 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
      `-Dkafka.version=${KAFKA_VERSION}`,
    ],
    { stdio: 'inherit' },
  );
  if (mvn.status !== 0)
    throw new Error(`mvn could not fetch Kafka ${KAFKA_VERSION} (exit ${mvn.status ?? mvn.signal})`);
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(KAFKA_HOME, { recursive: true, force: true });
  renameSync(tmp, KAFKA_HOME);
}

function kafkaJava(args: string[], extraJvm: string[] = []): string[] {
  return [
    ...extraJvm,
    `-Dlog4j2.configurationFile=${join(__dirname, 'kafka', 'log4j2.yaml')}`,
    `-Dkafka.logs.dir=${KAFKA_DATA}`,
    '-cp',
    `${KAFKA_HOME}/*`,
    ...args,
  ];
}

function writeKafkaConfig(users: KafkaUserSettings): string {
  const { port } = hostPort(env.KAFKA_BROKERS[0] ?? '127.0.0.1:9092');
  const controllerPort = Number(process.env['HOSO_KAFKA_CONTROLLER_PORT'] ?? port + 1);
  mkdirSync(KAFKA_DATA, { recursive: true });
  const template = readFileSync(join(__dirname, 'kafka', 'server.properties.template'), 'utf8');
  const config = template
    .replaceAll('${BROKER_PORT}', String(port))
    .replaceAll('${CONTROLLER_PORT}', String(controllerPort))
    .replaceAll('${LOG_DIRS}', join(KAFKA_DATA, 'storage'))
    .replaceAll('${ADMIN_PASSWORD}', users.passwords.admin);
  const file = join(KAFKA_DATA, 'server.properties');
  // It holds the admin password: this user only.
  writeFileSync(file, config, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

const SCRAM_MARKER = join(KAFKA_DATA, 'scram-users.json');

/**
 * Formats the storage once, with every SCRAM user; a storage formatted with other passwords (or before SASL) is
 * refused with the way out, since the credentials live in its metadata.
 */
function formatStorage(configFile: string, users: KafkaUserSettings): void {
  if (existsSync(join(KAFKA_DATA, 'storage', 'meta.properties'))) {
    let marker: { salt: string; fingerprint: string } | null = null;
    try {
      marker = JSON.parse(readFileSync(SCRAM_MARKER, 'utf8')) as { salt: string; fingerprint: string };
    } catch {
      marker = null;
    }
    if (!marker || credentialsFingerprint(users, marker.salt) !== marker.fingerprint)
      throw new Error(
        `Kafka's storage in ${KAFKA_DATA} was formatted ${marker ? 'with other KAFKA_PASSWORD_<USER> values' : 'without SASL users'}: ` +
          'run `npm run infra -- reset` (wipes Kafka data and the hoso_* databases), or give the passwords it was made with',
      );
    return;
  }
  // A KRaft cluster id is a base64url UUID (what StorageTool random-uuid prints, without a JVM start).
  // Like Kafka's own Uuid.randomUuid, never one starting with '-': the tool would read it as a flag.
  let id: string;
  do id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  while (id.startsWith('-'));
  const res = spawnSync(
    'java',
    kafkaJava(['kafka.tools.StorageTool', 'format', '-t', id, '-c', configFile, '-g', ...scramFormatArgs(users)]),
    { encoding: 'utf8' },
  );
  // Its output lists the SCRAM records (salted hashes): shown only when the format fails.
  if (res.status !== 0) throw new Error(`Kafka storage format failed:\n${res.stdout}${res.stderr}`);
  const salt = randomBytes(16).toString('hex');
  writeFileSync(SCRAM_MARKER, `${JSON.stringify({ salt, fingerprint: credentialsFingerprint(users, salt) })}\n`, {
    mode: 0o600,
  });
}

/** True when something accepts TCP connections on the broker's port (a broker that refuses our credentials). */
function portTaken(): Promise<boolean> {
  const { host, port } = hostPort(env.KAFKA_BROKERS[0] ?? '127.0.0.1:9092');
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

async function kafkaUp(state: State): Promise<void> {
  if (await kafkaAnswers()) {
    const ours = alive(state.kafka?.pid);
    line(
      'kafka',
      'up',
      `${env.KAFKA_BROKERS.join(',')} ${ours ? `Apache Kafka ${state.kafka?.version} (pid ${state.kafka?.pid})` : '(already running, not started by infra)'}`,
    );
    return;
  }
  if (alive(state.kafka?.pid)) {
    // Started by us but not answering yet (another `up` may be waiting for it).
    await waitFor('kafka', kafkaAnswers, 120_000, () => tail(join(KAFKA_DATA, 'server.log')));
    line('kafka', 'up', `${env.KAFKA_BROKERS.join(',')} Apache Kafka ${state.kafka?.version}`);
    return;
  }
  if (await portTaken())
    throw new Error(
      `something on ${env.KAFKA_BROKERS[0]} refuses the admin user's credentials (KAFKA_PASSWORD_ADMIN): a broker ` +
        'started without SASL or with other passwords; stop it (`npm run infra -- down`) or run `npm run infra -- reset`',
    );
  fetchKafka();
  const users = kafkaUserSettings();
  const config = writeKafkaConfig(users);
  formatStorage(config, users);
  const out = openSync(join(KAFKA_DATA, 'kafka.out'), 'a');
  const child = spawn(
    'java',
    kafkaJava(
      ['kafka.Kafka', config],
      [
        ...KAFKA_HEAP.split(/\s+/),
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:TieredStopAtLevel=1',
        '-Xshare:auto',
        '-Djava.awt.headless=true',
      ],
    ),
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  if (!child.pid) throw new Error('could not start java');
  state.kafka = { pid: child.pid, version: KAFKA_VERSION };
  writeState(state);
  const started = Date.now();
  await waitFor(
    'kafka',
    async () => {
      if (!alive(child.pid))
        throw new Error(
          `Kafka exited during start-up:\n${tail(join(KAFKA_DATA, 'kafka.out'))}\n${tail(join(KAFKA_DATA, 'server.log'))}`,
        );
      return kafkaAnswers();
    },
    120_000,
    () => tail(join(KAFKA_DATA, 'server.log')),
  );
  line(
    'kafka',
    'started',
    `${env.KAFKA_BROKERS.join(',')} Apache Kafka ${KAFKA_VERSION} (pid ${child.pid}, ready in ${((Date.now() - started) / 1000).toFixed(1)}s)`,
  );
}

async function stopPid(pid: number, name: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    console.log(`${name} did not stop in 30s; killing`);
    process.kill(pid, 'SIGKILL');
  }
}

// ---------------------------------------------------------------- PostgreSQL

async function postgresAnswers(): Promise<string | null> {
  const client = new Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const res = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return res.rows[0]?.v ?? '?';
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postgresUp(): Promise<void> {
  let version = await postgresAnswers();
  if (!version && spawnSync('sh', ['-c', 'command -v pg_ctlcluster'], { stdio: 'ignore' }).status === 0) {
    // The machine's own cluster may have stopped; starting it is what an operator would do first.
    const ver = spawnSync('sh', ['-c', 'ls /etc/postgresql | tail -n 1'], { encoding: 'utf8' }).stdout.trim();
    if (ver) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', ver, 'main', 'start'], { stdio: 'inherit' });
    await waitFor('postgres', async () => (version = await postgresAnswers()) !== null, 30_000).catch(() => undefined);
  }
  if (!version) {
    line('postgres', 'down', `${redact(env.DATABASE_URL)} does not answer`);
    throw new Error('PostgreSQL is not reachable at DATABASE_URL');
  }
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const existing = new Set(
      (await client.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
    );
    const created: string[] = [];
    for (const db of SERVICE_DATABASES) {
      if (existing.has(db)) continue;
      await client.query(`CREATE DATABASE "${db}"`).catch((e: unknown) => {
        if ((e as { code?: string }).code !== '42P04') throw e; // created concurrently by another `up`
      });
      created.push(db);
    }
    line(
      'postgres',
      'up',
      `${redact(env.DATABASE_URL)} PostgreSQL ${version}; databases ${SERVICE_DATABASES.join(', ')}${created.length ? ` (created ${created.join(', ')})` : ''}`,
    );
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

// ---------------------------------------------------------------- Redis

/** Where `up` keeps the users of the Redis it starts, and where `redis-acl` writes them for the compose file. */
const REDIS_ACL_FILE = join(DATA, 'redis', 'users.acl');

/** The Redis at REDIS_URL checked with the passwords this environment gives its users; null when it does not answer. */
function redisCheck(acl: RedisAclSettings): Promise<RedisInspection | null> {
  return inspectRedis(env.REDIS_URL, acl.passwords);
}

/**
 * A warning line for each way the Redis at REDIS_URL (ours or not) could evict or lose the services' jobs, and for
 * each way its users fall short of deploy/local/redis-acl.ts. Settings are read, never changed.
 */
function warnAboutRedis(found: RedisInspection, acl: RedisAclSettings): void {
  const warnings =
    found.info === null ? ['its settings could not be read: no user was allowed INFO'] : redisJobWarnings(found.info);
  for (const w of [...warnings, ...redisAclWarnings(found, acl)]) line('redis', 'warning', w);
}

/** Writes the ACL file; `mode` is applied to an existing file too. */
function writeRedisAcl(file: string, acl: RedisAclSettings, mode: number): void {
  const text = redisAclFile(acl);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
}

async function redisUp(state: State): Promise<void> {
  const acl = redisAclSettings();
  const running = await redisCheck(acl);
  if (running) {
    line(
      'redis',
      'up',
      `${redact(env.REDIS_URL)} Redis ${redisVersion(running.info)}${alive(state.redis?.pid) ? ` (pid ${state.redis?.pid})` : ''}`,
    );
    warnAboutRedis(running, acl);
    return;
  }
  const u = new URL(env.REDIS_URL);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
    line('redis', 'down', `${redact(env.REDIS_URL)} does not answer`);
    throw new Error('Redis is not reachable at REDIS_URL');
  }
  if (spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status !== 0) {
    line('redis', 'down', `${redact(env.REDIS_URL)} does not answer and redis-server is not installed`);
    throw new Error('Redis is not reachable and cannot be started');
  }
  const dir = join(DATA, 'redis');
  // Before anything starts: outside development mode every user's password must be given (the error names them).
  // Only this process's user reads the file; `redis-acl` writes one for a container's user.
  writeRedisAcl(REDIS_ACL_FILE, acl, 0o600);
  const port = Number(u.port || 6379);
  const res = spawnSync(
    'redis-server',
    redisServerArgs({
      port,
      dir,
      logfile: join(dir, 'redis.log'),
      pidfile: join(dir, 'redis.pid'),
      aclfile: REDIS_ACL_FILE,
    }),
    { stdio: 'inherit' },
  );
  if (res.status !== 0) throw new Error('redis-server failed to start');
  let started: RedisInspection | null = null;
  await waitFor(
    'redis',
    async () => (started = await redisCheck(acl)) !== null,
    15_000,
    () => tail(join(dir, 'redis.log')),
  );
  const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
  state.redis = { pid, port };
  writeState(state);
  const found = started as RedisInspection | null;
  line(
    'redis',
    'started',
    `${redact(env.REDIS_URL)} Redis ${redisVersion(found?.info ?? null)} (pid ${pid}); users from ${REDIS_ACL_FILE}`,
  );
  if (found) warnAboutRedis(found, acl);
}

/** `redis-acl [file]`: the users of deploy/local/redis-acl.ts as an ACL file, for a Redis started elsewhere. */
function writeAclCommand(file = REDIS_ACL_FILE): void {
  const acl = redisAclSettings();
  // Readable by all: a container's Redis runs as its own user. The file holds SHA-256 hashes, no password.
  writeRedisAcl(resolve(file), acl, 0o644);
  const defaultUser = acl.devMode ? 'open (development mode)' : 'off';
  line('redis-acl', 'ready', `${resolve(file)}: users ${REDIS_USERS.join(', ')}; the default user is ${defaultUser}`);
}

/**
 * `db-roles`: each service database's owner and runtime roles of deploy/local/db-roles.ts on the server at
 * DATABASE_URL. Never part of `up`: the services keep connecting as DATABASE_URL's user until given the roles' URLs.
 */
async function dbRolesCommand(): Promise<void> {
  const plans = dbRolesPlans(dbRolesSettings());
  await applyDbRoles(env.DATABASE_URL, plans);
  for (const p of plans) {
    const roles = dbRoleNames(p.database);
    line('db-roles', 'ready', `${p.database}: owner ${roles.owner} (migrations), runtime ${roles.app}`);
  }
}

// ---------------------------------------------------------------- commands

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

export async function up(): Promise<void> {
  mkdirSync(DATA, { recursive: true });
  const state = readState();
  // The Maven fetch and storage format block the event loop; do them before any check with a timeout.
  if (!(await kafkaAnswers()) && !alive(state.kafka?.pid)) fetchKafka();
  await Promise.all([postgresUp(), redisUp(state)]);
  await kafkaUp(state);
  const created = await ensureTopics(env.KAFKA_BROKERS);
  line('topics', 'ready', `${created.total} topics (${created.created.length} created, ${created.grown.length} grown)`);
  const grants = kafkaAclPlan('');
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    const added = await applyKafkaAcls(admin, grants);
    line('kafka-acls', 'ready', `${grants.length} grants for the service users (${added} created)`);
  } finally {
    await admin.disconnect();
  }
}

async function status(): Promise<number> {
  const state = readState();
  let down = 0;
  if (await kafkaAnswers()) {
    line(
      'kafka',
      'up',
      `${env.KAFKA_BROKERS.join(',')} ${alive(state.kafka?.pid) ? `Apache Kafka ${state.kafka?.version} (pid ${state.kafka?.pid})` : '(not started by infra)'}`,
    );
  } else {
    down++;
    line('kafka', 'down', env.KAFKA_BROKERS.join(','));
  }
  const pg = await postgresAnswers();
  if (pg) line('postgres', 'up', `${redact(env.DATABASE_URL)} PostgreSQL ${pg}`);
  else {
    down++;
    line('postgres', 'down', redact(env.DATABASE_URL));
  }
  const acl = redisAclSettings();
  const redis = await redisCheck(acl);
  if (redis) {
    line('redis', 'up', `${redact(env.REDIS_URL)} Redis ${redisVersion(redis.info)}`);
    warnAboutRedis(redis, acl);
  } else {
    down++;
    line('redis', 'down', redact(env.REDIS_URL));
  }
  return down === 0 ? 0 : 1;
}

async function down(): Promise<void> {
  const state = readState();
  if (state.kafka && alive(state.kafka.pid)) {
    await stopPid(state.kafka.pid, 'kafka');
    line('kafka', 'stopped', `pid ${state.kafka.pid}`);
  } else line('kafka', 'stopped', '(not started by infra)');
  delete state.kafka;
  if (state.redis && alive(state.redis.pid)) {
    await stopPid(state.redis.pid, 'redis');
    line('redis', 'stopped', `pid ${state.redis.pid}`);
  } else line('redis', 'stopped', '(not started by infra: left running)');
  delete state.redis;
  line('postgres', 'stopped', '(shared server: left running)');
  writeState(state);
}

async function reset(): Promise<void> {
  await down();
  rmSync(KAFKA_DATA, { recursive: true, force: true });
  console.log(`removed ${KAFKA_DATA}`);
  const pg = await postgresAnswers();
  if (pg) {
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      for (const db of SERVICE_DATABASES) {
        await client.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      }
      console.log(`dropped ${SERVICE_DATABASES.join(', ')} on ${redact(env.DATABASE_URL)}`);
    } finally {
      await client.end();
    }
  }
  await up();
}

function logs(component = 'kafka'): void {
  const files: Record<string, string> = {
    kafka: join(KAFKA_DATA, 'server.log'),
    'kafka-out': join(KAFKA_DATA, 'kafka.out'),
    redis: join(DATA, 'redis', 'redis.log'),
  };
  const file = files[component];
  if (!file) throw new UsageError(`unknown log "${component}"; one of ${Object.keys(files).join(', ')}`);
  console.log(`==> ${file} <==\n${tail(file, 100)}`);
}

class UsageError extends Error {}

const USAGE = `usage: npm run infra -- <command>

  up       fetch and start what is missing (Kafka, Redis), create databases and topics; idempotent
  status   show each component; exits 1 when one is down
  down     stop what 'up' started (PostgreSQL and an already running Redis are left alone)
  logs [kafka|kafka-out|redis]   last lines of a component's log
  reset    down, wipe Kafka's storage and the hoso_* databases, then up
  redis-acl [file]   write the Redis users (default ${REDIS_ACL_FILE}), e.g. for deploy/docker-compose.yml
  db-roles           create or update each service database's owner and runtime roles on DATABASE_URL's server

env: KAFKA_BROKERS (${env.KAFKA_BROKERS.join(',')}), DATABASE_URL, REDIS_URL, HOSO_KAFKA_VERSION (${KAFKA_VERSION}),
     HOSO_CACHE_DIR (${CACHE}), HOSO_DATA_DIR (${DATA}), HOSO_KAFKA_HEAP (${KAFKA_HEAP}),
     KAFKA_PASSWORD_<USER> (the broker's SCRAM users: intake, identity, payment, case-tracking, metrics, operator,
     admin; development defaults with HOSO_DEV_MODE=1; changing one needs a reset),
     REDIS_PASSWORD_<USER> (${REDIS_USERS.map(redisPasswordVariable).join(', ')}; development defaults with
     HOSO_DEV_MODE=1), KAFKA_TOPIC_PREFIX, QUEUE_PREFIX, OPS_QUEUE_PREFIXES (the users' key prefixes),
     DB_PASSWORD_<SERVICE> and DB_PASSWORD_<SERVICE>_OWNER (db-roles; development defaults with HOSO_DEV_MODE=1)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'status':
      return status();
    case 'down':
      await down();
      return 0;
    case 'logs':
      logs(rest[0]);
      return 0;
    case 'redis-acl':
      writeAclCommand(rest[0]);
      return 0;
    case 'db-roles':
      await dbRolesCommand();
      return 0;
    case 'reset':
      await reset();
      return 0;
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`${e.message}\n\n${USAGE}`);
        process.exit(2);
      }
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
