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

/**
 * Waits until every one of the run's topics is served: the metadata shows a leader for each partition, and the
 * leader answers a ListOffsets request for it. Right after creation a busy broker may show a leader in its metadata
 * and still answer "does not host this topic-partition" to a client's first request (seen under load); asking each
 * partition's leader directly is what a producer or consumer will do next.
 */
export async function waitForTopicsServed(kafka: Kafka, topics: string[], timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let pending = [...topics];
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: pending }).catch(() => null);
      const led = new Set(
        (meta?.topics ?? [])
          .filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
          .map((t) => t.name),
      );
      const answered = await Promise.all(
        pending.map(async (t) =>
          led.has(t)
            ? admin.fetchTopicOffsets(t).then(
                () => t,
                () => null,
              )
            : null,
        ),
      );
      const served = new Set(answered.filter((t): t is string => t !== null));
      pending = pending.filter((t) => !served.has(t));
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`topics not served after ${timeoutMs} ms: ${pending.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
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
