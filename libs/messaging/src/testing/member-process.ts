/**
 * A consumer process for the group-membership test: joins `MEMBER_GROUP` as instance `MEMBER_INSTANCE` on the
 * catalog of `MEMBER_CATALOG` in the database `MEMBER_DB_URL`, records each event in `effects`, prints `ready`
 * once it holds partitions, and runs until it is killed (the test sends SIGKILL: no LeaveGroup goes out).
 */
import { toolKafkaSasl } from '@hoso/config';
import { dataSourceOptions } from '@hoso/persistence';
import { testEnv } from '@hoso/testing';
import { DataSource } from 'typeorm';
import { IdempotentConsumer } from '../consumer';
import { createKafka } from '../kafka';
import { createLogger } from '../logger';
import { EventProducer } from '../producer';
import { testCatalog } from './harness';
import { recordEffect } from './helpers';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const groupId = required('MEMBER_GROUP');
  const instance = required('MEMBER_INSTANCE');
  const catalog = testCatalog(required('MEMBER_CATALOG'));
  const topic = Object.keys(catalog)[0] as string;
  const logger = createLogger(`member-${instance}`, process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const ds = new DataSource(
    dataSourceOptions({ url: required('MEMBER_DB_URL'), applicationName: 'hoso-test-member', poolSize: 4 }),
  );
  await ds.initialize();
  const kafka = createKafka({
    clientId: `member-${instance}`,
    brokers: testEnv.KAFKA_BROKERS,
    sasl: toolKafkaSasl(),
    logger,
  });
  const producer = new EventProducer(kafka);
  await producer.connect();
  const consumer = new IdempotentConsumer({
    kafka,
    catalog,
    dataSource: ds,
    producer,
    logger,
    groupId,
    instance,
    // Longer than the test waits for the successor: only a removed member lets the group move on in time.
    sessionTimeoutMs: 60_000,
    handlers: { [topic]: recordEffect(groupId) },
  });
  await consumer.start();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
