/**
 * Integration-test servers: use KAFKA_BROKERS / DATABASE_URL / REDIS_URL when all three are set;
 * else, where a Docker engine answers, start them with testcontainers; else start what is missing
 * with deploy/local (a real Kafka from Maven Central jars, the machine's PostgreSQL and Redis).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
// Jest loads the global set-up without the workspace's path aliases: the one file it needs, by path.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { brokerKafkaPassword, KAFKA_USERS } from '../../libs/config/src/kafka-credentials';

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
  // The broker as deploy/local and the compose file configure it: SASL/SCRAM-SHA-512 users (formatted into the
  // storage before the image's own start script runs), deny by default; create-topics.ts then adds the ACLs.
  const users = KAFKA_USERS.map((u) => `--add-scram "SCRAM-SHA-512=[name=${u},password=${brokerKafkaPassword(u)}]"`);
  const kafka = await new GenericContainer('apache/kafka:4.4.0')
    .withExposedPorts({ container: 9092, host: 9092 })
    .withEnvironment({
      CLUSTER_ID: 'sbzf9mTfzBJmq_OgEkuK8A',
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'BROKER://:9092,CONTROLLER://127.0.0.1:9093',
      KAFKA_ADVERTISED_LISTENERS: 'BROKER://127.0.0.1:9092',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@127.0.0.1:9093',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,BROKER:SASL_PLAINTEXT',
      KAFKA_SASL_ENABLED_MECHANISMS: 'SCRAM-SHA-512',
      KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL: 'SCRAM-SHA-512',
      KAFKA_LISTENER_NAME_BROKER_SCRAM___SHA___512_SASL_JAAS_CONFIG: `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${brokerKafkaPassword('admin')}";`,
      KAFKA_AUTHORIZER_CLASS_NAME: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: 'false',
      KAFKA_SUPER_USERS: 'User:admin;User:ANONYMOUS',
      KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withEntrypoint(['bash', '-c'])
    .withCommand([
      [
        'printf "%s\\n" process.roles=broker,controller node.id=1 controller.quorum.voters=1@127.0.0.1:9093',
        'controller.listener.names=CONTROLLER listeners=BROKER://:9092,CONTROLLER://127.0.0.1:9093',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,BROKER:SASL_PLAINTEXT inter.broker.listener.name=BROKER',
        'log.dirs=/tmp/kraft-combined-logs > /tmp/format.properties',
        '&& /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c /tmp/format.properties',
        ...users,
        '>/dev/null && exec /etc/kafka/docker/run',
      ].join(' '),
    ])
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
