/** `npm run lag -- <groupId> [--topic T]`: consumer lag per topic and partition. */
import { consumerLag, totalLag } from '../src/lag';
import { cliKafka, runCli, UsageError } from './cli';

const USAGE = `usage: npm run lag -- <groupId> [--topic TOPIC]...`;

runCli(
  USAGE,
  async ({ positionals, values }) => {
    const [groupId] = positionals;
    if (!groupId) throw new UsageError('missing the consumer group id');
    const topics = values['topic'] as string[] | undefined;
    const lags = await consumerLag(cliKafka('hoso-lag'), groupId, topics);
    console.log(['topic', 'partition', 'committed', 'end', 'lag'].join('\t'));
    for (const l of lags) console.log([l.topic, l.partition, l.committed, l.end, l.lag].join('\t'));
    console.log(`total lag of ${groupId}: ${totalLag(lags)}`);
  },
  { topic: { type: 'string', multiple: true } },
);
