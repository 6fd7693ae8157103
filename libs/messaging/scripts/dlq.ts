/** `npm run dlq -- list|replay <topic>.dlq [--limit N]`: inspect or replay dead letters. */
import { DLQ_SUFFIX } from '@hoso/contracts';
import { readDlq, replayDlq } from '../src/dlq';
import { EventProducer } from '../src/producer';
import { cliKafka, positiveIntFlag, runCli, UsageError } from './cli';

const USAGE = `usage: npm run dlq -- <list|replay> <topic>${DLQ_SUFFIX} [--limit N] [--group ID]

  list     print every message in the dead-letter topic with its headers (commits nothing)
  replay   send each dead letter back to its original topic, committing progress under --group
           (default hoso-dlq-replay.<topic>); consumers are idempotent, so a replay is safe`;

runCli(
  USAGE,
  async ({ positionals, values }) => {
    const [command, topic] = positionals;
    if (!topic) throw new UsageError('missing the dead-letter topic');
    if (!topic.endsWith(DLQ_SUFFIX)) throw new UsageError(`"${topic}" is not a dead-letter topic`);
    const limit = positiveIntFlag('limit', values['limit'] as string | undefined);
    const kafka = cliKafka('hoso-dlq');
    switch (command) {
      case 'list': {
        const letters = await readDlq(kafka, topic, limit ? { limit } : {});
        for (const l of letters) console.log(JSON.stringify(l));
        console.error(`${letters.length} dead letter(s) in ${topic}`);
        return;
      }
      case 'replay': {
        const producer = new EventProducer(kafka);
        try {
          const group = values['group'] as string | undefined;
          const result = await replayDlq(kafka, producer, topic, {
            ...(limit ? { limit } : {}),
            ...(group ? { groupId: group } : {}),
          });
          console.log(`replayed ${result.replayed}: ${JSON.stringify(result.byTopic)}`);
        } finally {
          await producer.disconnect();
        }
        return;
      }
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  },
  { limit: { type: 'string' }, group: { type: 'string' } },
);
