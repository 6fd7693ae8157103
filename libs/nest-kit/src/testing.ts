import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createTestIssuer, type TestIssuer } from '@hoso/auth/testing';
import { brokerKafkaPassword, toolKafkaSasl, type KafkaUser } from '@hoso/config';
import {
  applyKafkaAcls,
  createKafka,
  createLogger,
  deleteTopics,
  ensureTopics,
  kafkaAclPlan,
  removeKafkaAcls,
  waitForTopicsServed,
} from '@hoso/messaging';
import { applyDbRoles, createTestDatabase, dbRoleNames, dbRoleUrl, dropDbRoles } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';

export interface TestEnvironment {
  /** Prefix of this run's topics (every contract topic and DLQ exists under it). */
  topicPrefix: string;
  kafka: Kafka;
  brokers: string[];
  redisUrl: string;
  /**
   * KAFKA_USERNAME and KAFKA_PASSWORD of a service's own Kafka user, whose ACLs this run's topics have: a service
   * under test reads and writes only what the broker lets it, as in production. With the consumer group its ACLs
   * allow (`<prefix><service>`; a test that needs another group starts it with that); for metrics also the operator
   * user of its dead-letter console.
   */
  kafkaEnv(user: KafkaUser): Record<string, string>;
  /** A fresh database per requested name, e.g. `{ intake: 'postgres://…/hoso_test_…' }`. */
  databases: Record<string, string>;
  /**
   * The service roles of one of `databases` (an owner for migrations, a runtime role with data rights only), created
   * on first use and dropped by `close`: what a service outside development mode must connect with.
   */
  databaseRoles(name: string): Promise<{ appUrl: string; ownerUrl: string }>;
  issuer: TestIssuer;
  close(): Promise<void>;
}

/**
 * Real servers, isolated per test file: fresh databases, the whole topic catalog under a random
 * prefix (so consumers never see another test file's events), and a token issuer with a served JWKS.
 */
export async function createTestEnvironment(databaseNames: string[]): Promise<TestEnvironment> {
  const topicPrefix = `t${randomBytes(4).toString('hex')}.`;
  const logger = createLogger('test-env', process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const kafka = createKafka({ clientId: 'test-env', brokers: testEnv.KAFKA_BROKERS, sasl: toolKafkaSasl(), logger });
  // Two partitions are enough for a test and keep topic churn low on a shared broker (every file makes its own).
  const report = await ensureTopics(kafka, { prefix: topicPrefix, partitions: 2 });
  const grants = kafkaAclPlan(topicPrefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await applyKafkaAcls(admin, grants);
  } finally {
    await admin.disconnect();
  }
  await waitForTopicsServed(kafka, report.created);
  const dbs = await Promise.all(
    databaseNames.map((name) => createTestDatabase(testEnv.DATABASE_URL, `hoso_t_${name.replace(/\W/g, '_')}`)),
  );
  const issuer = await createTestIssuer();
  const roles = new Map<string, Promise<{ appUrl: string; ownerUrl: string }>>();
  return {
    topicPrefix,
    kafka,
    brokers: testEnv.KAFKA_BROKERS,
    kafkaEnv: (user) => ({
      KAFKA_USERNAME: user,
      KAFKA_PASSWORD: brokerKafkaPassword(user),
      KAFKA_GROUP_ID: `${topicPrefix}${user}`,
      ...(user === 'metrics'
        ? { KAFKA_OPERATOR_USERNAME: 'operator', KAFKA_OPERATOR_PASSWORD: brokerKafkaPassword('operator') }
        : {}),
    }),
    redisUrl: testEnv.REDIS_URL,
    databases: Object.fromEntries(databaseNames.map((n, i) => [n, (dbs[i] as { url: string }).url])),
    databaseRoles: (name) => {
      const db = dbs[databaseNames.indexOf(name)];
      if (!db) throw new Error(`no test database "${name}"`);
      let made = roles.get(db.name);
      if (!made) {
        const plan = {
          database: db.name,
          ownerPassword: randomBytes(12).toString('hex'),
          appPassword: randomBytes(12).toString('hex'),
        };
        const names = dbRoleNames(db.name);
        made = applyDbRoles(testEnv.DATABASE_URL, [plan]).then(() => ({
          appUrl: dbRoleUrl(testEnv.DATABASE_URL, db.name, names.app, plan.appPassword),
          ownerUrl: dbRoleUrl(testEnv.DATABASE_URL, db.name, names.owner, plan.ownerPassword),
        }));
        roles.set(db.name, made);
      }
      return made;
    },
    issuer,
    close: async () => {
      await issuer.close();
      await Promise.all(dbs.map((d) => d.drop()));
      // Roles are server-wide: dropped once their databases (which the owner roles own) are gone.
      for (const name of roles.keys()) await dropDbRoles(testEnv.DATABASE_URL, name);
      await deleteTopics(kafka, topicPrefix);
      const a = kafka.admin();
      await a.connect();
      try {
        await removeKafkaAcls(a, grants, topicPrefix);
      } finally {
        await a.disconnect();
      }
    },
  };
}

export interface TappedEvent {
  topic: string;
  key: string | null;
  event: {
    eventId: string;
    type: string;
    dossierId: string | null;
    correlationId: string;
    causationId: string | null;
    payload: Record<string, unknown>;
  };
}

/**
 * Records every event on some contract topics (under the run's prefix) from the beginning, for
 * assertions such as "exactly one dossier.submitted.v1 for this dossier". Poll with `waitFor`.
 */
export class EventTap {
  readonly events: TappedEvent[] = [];
  private consumer: ReturnType<Kafka['consumer']> | null = null;

  constructor(
    private readonly env: Pick<TestEnvironment, 'kafka' | 'topicPrefix'>,
    private readonly topics: string[],
  ) {}

  async start(): Promise<this> {
    this.consumer = this.env.kafka.consumer({ groupId: `tap-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.topics.map((t) => `${this.env.topicPrefix}${t}`),
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: ({ topic, message }) => {
        try {
          this.events.push({
            topic: topic.slice(this.env.topicPrefix.length),
            key: message.key?.toString() ?? null,
            event: JSON.parse(message.value?.toString() ?? 'null') as TappedEvent['event'],
          });
        } catch {
          // Not JSON: a poison message a test sent on purpose; the tap only records events.
        }
        return Promise.resolve();
      },
    });
    return this;
  }

  matching(topic: string, pred: (e: TappedEvent['event']) => boolean = () => true): TappedEvent['event'][] {
    return this.events.filter((e) => e.topic === topic && pred(e.event)).map((e) => e.event);
  }

  /** Resolves with the first event on `topic` that satisfies `pred`, or fails after `timeoutMs`. */
  async waitFor(
    topic: string,
    pred: (e: TappedEvent['event']) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<TappedEvent['event']> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.matching(topic, pred)[0];
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no ${topic} event matching the condition within ${timeoutMs} ms (saw ${this.events.length} events)`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
