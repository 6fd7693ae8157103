/**
 * Integration-test servers: use KAFKA_BROKERS / DATABASE_URL / REDIS_URL when all three are set;
 * else, where a Docker engine answers, start them with testcontainers; else start what is missing
 * with deploy/local (a real Kafka from Maven Central jars, the machine's PostgreSQL and Redis).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

function dockerEngineAnswers(): boolean {
  if (process.env['HOSO_NO_DOCKER'] === '1') return false;
  const res = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000 });
  return res.status === 0 && res.stdout.trim().length > 0;
}

/** The same commands a developer types, in a child process (tsx resolves the workspace's path aliases). */
function run(script: string, ...args: string[]): void {
  const root = resolve(__dirname, '../..');
  const res = spawnSync(
    process.execPath,
    [resolve(root, 'node_modules/tsx/dist/cli.mjs'), resolve(root, script), ...args],
    {
      cwd: root,
      stdio: 'inherit',
      env: { HOSO_DEV_MODE: '1', ...process.env },
    },
  );
  if (res.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
}

async function withTestcontainers(): Promise<() => Promise<void>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.4.0')
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:9092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const pg = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  process.env['KAFKA_BROKERS'] = '127.0.0.1:9092';
  process.env['DATABASE_URL'] = `postgres://postgres@${pg.getHost()}:${pg.getMappedPort(5432)}/postgres`;
  process.env['REDIS_URL'] = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
  run('deploy/local/create-topics.ts');
  return async () => {
    await Promise.all([kafka.stop(), pg.stop(), redis.stop()]);
  };
}

export default async function globalSetup(): Promise<void> {
  const given = ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL'].every((k) => process.env[k]);
  if (!given && dockerEngineAnswers()) {
    const stop = await withTestcontainers();
    (globalThis as { __hosoStop?: () => Promise<void> }).__hosoStop = stop;
    return;
  }
  // deploy/local's `up` is idempotent: it only checks servers that answer and starts what is missing. The tests are
  // a development setting (every service gets one password-less REDIS_URL): a Redis `up` starts for them keeps its
  // default user open beside the service users.
  run('deploy/local/infra.ts', 'up');
}
