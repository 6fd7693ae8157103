/**
 * `npm run topics`: creates every contract topic and its DLQ on KAFKA_BROKERS, then the service users' ACLs
 * (libs/messaging kafkaAclPlan); both idempotent. For a broker `npm run infra -- up` did not make (the compose file).
 */
import { Kafka, logLevel } from 'kafkajs';
import { infraEnvSchema, parseEnv, toolKafkaSasl } from '@hoso/config';
import { applyKafkaAcls, kafkaAclPlan } from '@hoso/messaging';
import { ensureTopics } from './topics';

async function main(): Promise<void> {
  const env = parseEnv(infraEnvSchema);
  const r = await ensureTopics(env.KAFKA_BROKERS);
  console.log(`${r.total} topics ready (${r.created.length} created, ${r.grown.length} grown)`);
  const admin = new Kafka({
    clientId: 'hoso-topics',
    brokers: env.KAFKA_BROKERS,
    sasl: toolKafkaSasl(),
    logLevel: logLevel.ERROR,
  }).admin();
  await admin.connect();
  try {
    const grants = kafkaAclPlan('');
    const added = await applyKafkaAcls(admin, grants);
    console.log(`${grants.length} ACLs of the service users ready (${added} created)`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
