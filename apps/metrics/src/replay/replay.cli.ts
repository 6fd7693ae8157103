// nx run metrics:replay — rebuilds the projection from the topics in a fresh database and compares every
// number with the live one. Exit code 0 when identical, 1 when they differ, 2 when the replay itself fails.
// `--keep` leaves the replay database for inspection.
import { createKafka } from '@hoso/messaging';
import { kafkaSasl } from '@hoso/config';
import { createDataSource } from '@hoso/persistence';
import { createRootLogger } from '@hoso/nest-kit';
import { loadConfig } from '../config';
import { replayAndCompare } from './replay';

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createRootLogger('metrics-replay', config.LOG_LEVEL);
  const kafka = createKafka({
    clientId: 'metrics-replay',
    brokers: config.KAFKA_BROKERS,
    sasl: kafkaSasl(config, 'metrics'),
    logger,
  });
  const live = createDataSource({ url: config.databaseUrl, applicationName: 'metrics-replay' });
  await live.initialize();
  try {
    const report = await replayAndCompare({
      kafka,
      serverUrl: config.DATABASE_URL,
      live,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      liveGroupId: config.KAFKA_GROUP_ID,
      keepDatabase: process.argv.includes('--keep'),
      logger,
    });
    const { differences, ...rest } = report;
    process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
    if (differences.length) {
      process.stdout.write(`${differences.length} difference(s):\n${differences.map((d) => `  ${d}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write('replay identical to the live projection\n');
    return 0;
  } finally {
    await live.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`replay failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
