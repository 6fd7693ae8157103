import type { Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: string;
  end: string;
  lag: number;
}

/**
 * Consumer lag of a group, per topic and partition: end offset minus committed offset (a partition
 * the group never committed counts from the log start).
 */
export async function consumerLag(kafka: Kafka, groupId: string, topics?: string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets(topics ? { groupId, topics } : { groupId });
    const out: PartitionLag[] = [];
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const e = ends.find((x) => x.partition === p.partition);
        if (!e) continue;
        out.push({
          topic: t.topic,
          partition: p.partition,
          committed: p.offset,
          end: e.high,
          lag: partitionLag(p.offset, e.low, e.high),
        });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** One partition's lag: end − committed; a partition the group never committed (`-1`) counts from the log start. */
export function partitionLag(committed: string, low: string, high: string): number {
  const from = committed === '-1' ? BigInt(low) : BigInt(committed);
  return Number(BigInt(high) - from);
}

export function totalLag(lags: readonly PartitionLag[]): number {
  return lags.reduce((s, l) => s + l.lag, 0);
}
