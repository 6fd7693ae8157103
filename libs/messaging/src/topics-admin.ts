import type { Kafka } from 'kafkajs';
import { allTopicNames, PARTITIONS } from '@hoso/contracts';

export interface TopicReport {
  total: number;
  created: string[];
  grown: string[];
}

/**
 * Creates every contract topic and its `.dlq` (under `prefix`, if any) with PARTITIONS partitions;
 * grows a topic that has fewer (never shrinks: Kafka cannot). Safe to run again and again.
 */
export async function ensureTopics(
  kafka: Kafka,
  opts: { prefix?: string; names?: string[]; partitions?: number } = {},
): Promise<TopicReport> {
  const partitions = opts.partitions ?? PARTITIONS;
  const names = (opts.names ?? allTopicNames()).map((n) => `${opts.prefix ?? ''}${n}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((n) => !existing.has(n));
    if (missing.length) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
    const present = names.filter((n) => existing.has(n));
    const grown: string[] = [];
    if (present.length) {
      const meta = await admin.fetchTopicMetadata({ topics: present });
      const toGrow = meta.topics.filter((t) => t.partitions.length < partitions);
      if (toGrow.length) {
        await admin.createPartitions({ topicPartitions: toGrow.map((t) => ({ topic: t.name, count: partitions })) });
        grown.push(...toGrow.map((t) => t.name));
      }
    }
    return { total: names.length, created: missing, grown };
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the prefixed topics of a finished test run. */
export async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete unprefixed (shared) topics');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
  } finally {
    await admin.disconnect();
  }
}
