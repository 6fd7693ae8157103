/**
 * The same valid events delivered twice: the records already on the run's consumed topics that belong to chosen
 * dossiers are read back and produced again unchanged (key, value, headers, partition), as a producer retry or a
 * relay that resends after a crash would deliver them.
 */
import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { eventually } from '@hoso/testing';

export interface Replayed {
  records: number;
  topics: string[];
  /** End offsets of every replayed topic right after the replay: what each consuming group has to reach. */
  ends: Map<string, Map<number, bigint>>;
}

interface Rec {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, Map<number, bigint>>();
    for (const t of topics) {
      out.set(t, new Map((await admin.fetchTopicOffsets(t)).map((o) => [o.partition, BigInt(o.high)])));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Every record on `topics` up to their current ends whose key is one of `keys`, in offset order per partition. */
async function readBack(kafka: Kafka, topics: readonly string[], keys: ReadonlySet<string>): Promise<Rec[]> {
  const ends = await endOffsets(kafka, topics);
  const remaining = new Set<string>();
  for (const [t, parts] of ends) for (const [p, high] of parts) if (high > 0n) remaining.add(`${t}/${p}`);
  const groupId = `faults-readback-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const out: Rec[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const high = ends.get(topic)?.get(partition) ?? 0n;
        if (BigInt(message.offset) >= high) return;
        if (message.key && keys.has(message.key.toString())) {
          out.push({ topic, partition, key: message.key, value: message.value, headers: message.headers });
        }
        if (BigInt(message.offset) + 1n >= high) remaining.delete(`${topic}/${partition}`);
        return Promise.resolve();
      },
    });
    await eventually('every partition read back to its end', () => Promise.resolve(remaining.size === 0), 120_000, 100);
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return out;
}

export async function replay(kafka: Kafka, topics: readonly string[], keys: ReadonlySet<string>): Promise<Replayed> {
  const records = await readBack(kafka, topics, keys);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const byTopic = new Map<string, Rec[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, recs]) => ({
        topic,
        messages: recs.map((r) => ({
          key: r.key,
          value: r.value,
          partition: r.partition,
          ...(r.headers ? { headers: r.headers } : {}),
        })),
      })),
    });
  } finally {
    await producer.disconnect();
  }
  const replayedTopics = [...new Set(records.map((r) => r.topic))].sort();
  return { records: records.length, topics: replayedTopics, ends: await endOffsets(kafka, replayedTopics) };
}
