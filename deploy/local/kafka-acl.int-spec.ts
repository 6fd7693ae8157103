import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { brokerKafkaPassword, KAFKA_SASL_MECHANISM, type KafkaUser } from '@hoso/config';
import { dlqTopicOf } from '@hoso/contracts';
import { DLQ_GROUP_PREFIX } from '@hoso/messaging';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { eventually } from '@hoso/testing';

/**
 * The broker of `npm run infra -- up` as each service's principal sees it: SASL/SCRAM sign-in with its own password,
 * and the ACLs of kafkaAclPlan on this run's topics (createTestEnvironment applies them as `up` does for the
 * unprefixed ones). Every refusal below is the broker's own answer, not a check of ours.
 */
describe('Kafka users and ACLs on the real broker', () => {
  let env: TestEnvironment;
  const clients: { disconnect(): Promise<void> }[] = [];
  const t = (name: string) => `${env.topicPrefix}${name}`;

  const kafka = (user: KafkaUser, password = brokerKafkaPassword(user)) =>
    new Kafka({
      clientId: `acl-test-${user}`,
      brokers: env.brokers,
      sasl: { mechanism: KAFKA_SASL_MECHANISM, username: user, password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });

  async function producer(user: KafkaUser): Promise<Producer> {
    const p = kafka(user).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 3 },
    });
    clients.push(p);
    await p.connect();
    return p;
  }

  const send = (p: Producer, topic: string) =>
    p.send({ topic: t(topic), acks: -1, messages: [{ key: 'k', value: randomBytes(4).toString('hex') }] });

  /** Reads the first message of `topic` as `user` in `groupId`. */
  async function readOne(user: KafkaUser, topic: string, groupId: string): Promise<string> {
    const c = kafka(user).consumer({ groupId, retry: { retries: 0 } });
    clients.push(c);
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    let got: string | null = null;
    await c.run({
      eachMessage: ({ message }) => {
        got ??= message.value?.toString() ?? '';
        return Promise.resolve();
      },
    });
    return eventually(`a message of ${topic}`, () => Promise.resolve(got ?? undefined));
  }

  beforeAll(async () => {
    env = await createTestEnvironment([]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await env.close();
  });

  it('refuses a wrong password and an unknown user', async () => {
    for (const client of [
      kafka('intake', 'not-the-password-of-intake'),
      kafka('nobody' as KafkaUser, 'whatever-password'),
    ]) {
      const admin = client.admin();
      await expect(admin.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
      await admin.disconnect();
    }
  });

  it('lets a service write the topics it produces, and nothing else', async () => {
    const intake = await producer('intake');
    await expect(send(intake, 'dossier.submitted.v1')).resolves.toBeDefined();
    for (const other of ['case.received.v1', 'payment.completed.v1', 'identity.verified.v1'])
      await expect(send(intake, other)).rejects.toThrow(/authoriz/i);
    // Its dead letters go to the DLQ of a topic it consumes, and only there.
    await expect(send(intake, dlqTopicOf('case.received.v1'))).resolves.toBeDefined();
    await expect(send(intake, dlqTopicOf('dossier.submitted.v1'))).rejects.toThrow(/authoriz/i);
  });

  it('lets a service read what it consumes in its own group, and refuses other topics and groups', async () => {
    const intake = await producer('intake');
    await send(intake, 'dossier.submitted.v1');
    await expect(readOne('identity', t('dossier.submitted.v1'), `${env.topicPrefix}identity-acl`)).resolves.toMatch(
      /^[0-9a-f]{8}$/,
    );
    const identity = kafka('identity').consumer({ groupId: `${env.topicPrefix}identity-acl2`, retry: { retries: 0 } });
    clients.push(identity);
    await identity.connect();
    await expect(identity.subscribe({ topics: [t('payment.completed.v1')] })).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    // Another service's group, on a topic identity may read: the broker refuses to name its coordinator
    // (GROUP_AUTHORIZATION_FAILED), which kafkajs reports as a crash for want of a coordinator.
    const foreign = kafka('identity').consumer({ groupId: `${env.topicPrefix}intake`, retry: { retries: 0 } });
    clients.push(foreign);
    const crashed = new Promise<Error>((resolve) => {
      foreign.on(foreign.events.CRASH, (e) => {
        resolve(e.payload.error);
      });
    });
    await foreign.connect();
    await foreign.subscribe({ topics: [t('dossier.submitted.v1')], fromBeginning: true });
    let read = 0;
    await foreign.run({
      eachMessage: () => {
        read++;
        return Promise.resolve();
      },
    });
    expect((await crashed).message).toMatch(/group coordinator/);
    expect(read).toBe(0);
  });

  it('gives no service the right to create or delete topics', async () => {
    const admin = kafka('case-tracking').admin();
    clients.push(admin);
    await admin.connect();
    await expect(
      admin.createTopics({ topics: [{ topic: t(`rogue-${randomBytes(3).toString('hex')}`) }] }),
    ).rejects.toBeDefined();
    await expect(admin.deleteTopics({ topics: [t('dossier.submitted.v1')] })).rejects.toBeDefined();
    const root = env.kafka.admin();
    clients.push(root);
    await root.connect();
    expect(await root.listTopics()).toContain(t('dossier.submitted.v1'));
  });

  it('lets the operator read every dead-letter topic and write back to its source, and metrics only describe', async () => {
    const identity = await producer('identity');
    await send(identity, dlqTopicOf('dossier.submitted.v1'));
    await expect(
      readOne('operator', t(dlqTopicOf('dossier.submitted.v1')), `${DLQ_GROUP_PREFIX}${env.topicPrefix}acl`),
    ).resolves.toMatch(/^[0-9a-f]{8}$/);
    const operator = await producer('operator');
    await expect(send(operator, 'dossier.submitted.v1')).resolves.toBeDefined();

    const metrics = kafka('metrics').admin();
    clients.push(metrics);
    await metrics.connect();
    const offsets = await metrics.fetchTopicOffsets(t('case.received.v1'));
    expect(offsets.length).toBeGreaterThan(0);
    const m = await producer('metrics');
    await expect(send(m, 'metrics.completion-rate.v1')).resolves.toBeDefined();
    await expect(send(m, 'dossier.submitted.v1')).rejects.toThrow(/authoriz/i);
  });
});
