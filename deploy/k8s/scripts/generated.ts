/**
 * The manifests of deploy/k8s/base that are derived from code, not written by hand: the Kafka topics (libs/contracts'
 * catalog), the Kafka users and their ACLs (libs/messaging's kafkaAclPlan), the Redis users' rules
 * (deploy/local/redis-acl.ts) and each service database's grants (libs/persistence's dbRolesStatements). The same
 * sources configure the local stack, so the cluster's principals cannot drift from the ones the tests exercise.
 * `npm test` fails when a committed file differs from what this renders (generated.spec.ts); rewrite them with
 * `npx tsx deploy/k8s/scripts/write-generated.ts`.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KAFKA_USERS } from '@hoso/config';
import { allTopicNames, DLQ_SUFFIX, PARTITIONS } from '@hoso/contracts';
import { kafkaAclPlan, type AclGrant } from '@hoso/messaging';
import { dbRoleNames, dbRolesStatements } from '@hoso/persistence';
import { DB_SERVICE_DATABASES } from '../../local/db-roles';
import { redisAclRules, redisAclSettings, REDIS_USERS } from '../../local/redis-acl';

export const K8S_DIR = join(__dirname, '..');

/** The Strimzi Kafka resource the topics and users belong to (base/kafka/kafka.yaml). */
export const KAFKA_CLUSTER = 'hoso-kafka';

/**
 * Principals that exist only in a cluster deployment: KEDA's Kafka scaler reads the groups' committed offsets and the
 * topics' end offsets to compute lag, and nothing else.
 */
export const CLUSTER_ONLY_KAFKA_USERS = ['keda'] as const;

/** The Secret holding a Kafka user's password (created by the operator, never committed: docs/deployment.md). */
export function kafkaPasswordSecret(user: string): string {
  return `hoso-kafka-${user}`;
}

/**
 * Event topics are kept for good: metrics rebuilds its projection by reading every topic from offset 0
 * (docs/architecture.md), which a retention window would silently truncate. Dead letters keep the 7 days that
 * docs/operations.md promises the operators for inspection and replay.
 */
const EVENT_TOPIC_CONFIG = { 'retention.ms': -1, 'cleanup.policy': 'delete' };
const DLQ_TOPIC_CONFIG = { 'retention.ms': 7 * 24 * 3600 * 1000, 'cleanup.policy': 'delete' };

function kafkaTopics(): object[] {
  return allTopicNames().map((topic) => ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: { name: topic, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    // `replicas` is left to the brokers' default.replication.factor, which each overlay sets for its broker count.
    spec: {
      partitions: PARTITIONS,
      config: topic.endsWith(DLQ_SUFFIX) ? DLQ_TOPIC_CONFIG : EVENT_TOPIC_CONFIG,
    },
  }));
}

type StrimziOperation = 'Read' | 'Write' | 'Describe' | 'Delete';

interface StrimziAcl {
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' };
  operations: StrimziOperation[];
  host: '*';
}

const OPERATION: Record<AclGrant['operation'], StrimziOperation> = {
  READ: 'Read',
  WRITE: 'Write',
  DESCRIBE: 'Describe',
  DELETE: 'Delete',
};

/** The plan's grants of one principal, one Strimzi rule per resource pattern with its operations. */
export function strimziAcls(grants: readonly AclGrant[], user: string): StrimziAcl[] {
  const rules = new Map<string, StrimziAcl>();
  for (const g of grants.filter((x) => x.principal === `User:${user}`)) {
    const resource = {
      type: g.resource === 'TOPIC' ? ('topic' as const) : ('group' as const),
      name: g.name,
      patternType: g.pattern === 'LITERAL' ? ('literal' as const) : ('prefix' as const),
    };
    const key = `${resource.type}|${resource.patternType}|${resource.name}`;
    const rule = rules.get(key) ?? { resource, operations: [], host: '*' as const };
    if (!rule.operations.includes(OPERATION[g.operation])) rule.operations.push(OPERATION[g.operation]);
    rules.set(key, rule);
  }
  return [...rules.values()];
}

function kafkaUser(user: string, acls: StrimziAcl[] | null): object {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: { name: user, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: {
      authentication: {
        type: 'scram-sha-512',
        // The operator's own password rather than a generated one: the services need at least 16 characters
        // (libs/config) and take it from the same Secret.
        password: { valueFrom: { secretKeyRef: { name: kafkaPasswordSecret(user), key: 'password' } } },
      },
      ...(acls ? { authorization: { type: 'simple', acls } } : {}),
    },
  };
}

function kafkaUsers(): object[] {
  const plan = kafkaAclPlan('');
  const users: object[] = KAFKA_USERS.map((user) =>
    // `admin` is a super user of the cluster (base/kafka/kafka.yaml): ACLs would only narrow nothing.
    kafkaUser(user, user === 'admin' ? null : strimziAcls(plan, user)),
  );
  const describeEverything: StrimziAcl[] = (['topic', 'group'] as const).map((type) => ({
    resource: { type, name: '*', patternType: 'literal' },
    operations: ['Describe'],
    host: '*',
  }));
  for (const user of CLUSTER_ONLY_KAFKA_USERS) users.push(kafkaUser(user, describeEverything));
  return users;
}

/**
 * The Redis users' ACL file with `@@HASH_<USER>@@` where each password's SHA-256 goes: base/redis/redis.yaml's init
 * container fills them in from the Secret, so no password or hash is committed. One environment per Redis server,
 * with no topic or queue prefix (deploy/local/redis-acl.ts).
 */
export function redisAclTemplate(): string {
  const { environment } = redisAclSettings({ HOSO_DEV_MODE: '1' });
  const rules = redisAclRules(environment);
  const lines = ['user default off resetpass resetkeys resetchannels -@all'];
  for (const user of REDIS_USERS)
    lines.push(['user', user, 'on', `#@@HASH_${redisHashToken(user)}@@`, ...rules[user]].join(' '));
  return `${lines.join('\n')}\n`;
}

/** `CASE_TRACKING` for `case-tracking`: the token in the template and the Secret's key suffix. */
export function redisHashToken(user: string): string {
  return user.toUpperCase().replace(/-/g, '_');
}

/**
 * A service database's grants, run as the PostgreSQL superuser by base/postgres/grants-job.yaml: the statements of
 * dbRolesStatements that are not the roles themselves (CloudNativePG's managed roles create those, with passwords from
 * Secrets). Without the roles' passwords, so they can be committed.
 */
export function databaseGrantsSql(database: string): string {
  const { owner, app } = dbRoleNames(database);
  const statements = dbRolesStatements({ database, ownerPassword: 'unused', appPassword: 'unused' });
  const isRoleStatement = (sql: string) =>
    [owner, app].some((role) => sql.includes(`ALTER ROLE "${role}" WITH`) || sql.includes(`CREATE ROLE "${role}"`));
  const server = statements.server.filter((sql) => !isRoleStatement(sql));
  const lines = [
    `-- ${database}: the server-wide part (on the postgres database), then the part inside ${database}.`,
    '\\connect postgres',
    ...server.map((sql) => `${sql};`),
    `\\connect ${database}`,
    ...statements.database.map((sql) => `${sql};`),
  ];
  const text = `${lines.join('\n')}\n`;
  if (text.includes('unused')) throw new Error(`${database}: a grant statement carries a password`);
  return text;
}

export const SERVICE_DATABASES = DB_SERVICE_DATABASES;

/** In the form `prettier --check` (npm test) accepts as it is: single quotes, no folded lines. */
function yamlDocuments(header: string, objects: object[]): string {
  return `${header}\n${objects.map((o) => `---\n${stringify(o, { lineWidth: 0, singleQuote: true })}`).join('')}`;
}

/** Every generated file: path relative to deploy/k8s → contents. */
export function renderGenerated(): Record<string, string> {
  const note = (what: string) =>
    `# Generated by deploy/k8s/scripts/write-generated.ts from ${what}; do not edit (npm test fails when stale).`;
  const out: Record<string, string> = {
    'base/kafka/topics.yaml': yamlDocuments(note('libs/contracts (the topic catalog)'), kafkaTopics()),
    'base/kafka/users.yaml': yamlDocuments(note('libs/messaging kafkaAclPlan (one user per principal)'), kafkaUsers()),
  };
  // Redis takes no comment line in an ACL file.
  out['base/redis/users.acl.template'] = redisAclTemplate();
  for (const [service, database] of Object.entries(SERVICE_DATABASES)) {
    // The payment platform simulator has a PostgreSQL of its own (deploy/k8s/simulator), as the real platform would.
    const dir = service === 'payment-gateway' ? 'simulator/postgres' : 'base/postgres/grants';
    out[`${dir}/${database}.sql`] = databaseGrantsSql(database);
  }
  return out;
}
