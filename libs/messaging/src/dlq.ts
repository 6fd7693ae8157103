import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { dlqTopicOf, DLQ_SUFFIX } from '@hoso/contracts';
import type { EventProducer, OutgoingMessage } from './producer';

export const DLQ_HEADERS = {
  error: 'hoso-dlq-error',
  reason: 'hoso-dlq-reason',
  originalTopic: 'hoso-dlq-original-topic',
  originalPartition: 'hoso-dlq-original-partition',
  originalOffset: 'hoso-dlq-original-offset',
  attempts: 'hoso-dlq-attempts',
  consumer: 'hoso-dlq-consumer',
  failedAt: 'hoso-dlq-failed-at',
} as const;

export const REPLAYED_FROM_HEADER = 'hoso-replayed-from';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  consumer: string;
  reason: string;
  error: string;
  attempts: number;
}

/** The DLQ copy keeps the original bytes, key and headers, and says why, where from and after how many tries. */
export function deadLetterMessage(d: DeadLetter): OutgoingMessage {
  const headers: IHeaders = { ...withoutDlqHeaders(d.message.headers ?? {}) };
  headers[DLQ_HEADERS.error] = d.error.slice(0, 4000);
  headers[DLQ_HEADERS.reason] = d.reason;
  headers[DLQ_HEADERS.originalTopic] = d.topic;
  headers[DLQ_HEADERS.originalPartition] = String(d.partition);
  headers[DLQ_HEADERS.originalOffset] = d.message.offset;
  headers[DLQ_HEADERS.attempts] = String(d.attempts);
  headers[DLQ_HEADERS.consumer] = d.consumer;
  headers[DLQ_HEADERS.failedAt] = new Date().toISOString();
  return {
    topic: dlqTopicOf(d.topic),
    key: d.message.key?.toString('utf8') ?? '',
    value: d.message.value?.toString('utf8') ?? '',
    headers,
  };
}

function withoutDlqHeaders(headers: IHeaders): IHeaders {
  const out: IHeaders = {};
  const dlqNames = new Set<string>(Object.values(DLQ_HEADERS));
  for (const [k, v] of Object.entries(headers)) if (!dlqNames.has(k) && v !== undefined) out[k] = v;
  return out;
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

export interface DlqEntry {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads every message currently in a DLQ topic with a throwaway group (commits nothing). */
export async function readDlq(
  kafka: Kafka,
  dlqTopic: string,
  opts: { limit?: number; timeoutMs?: number } = {},
): Promise<DlqEntry[]> {
  assertDlq(dlqTopic);
  const entries: DlqEntry[] = [];
  await consumeUntilEnd(
    kafka,
    dlqTopic,
    `hoso-dlq-peek-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    opts,
    false,
    (partition, m) => {
      const headers: Record<string, string> = {};
      for (const k of Object.keys(m.headers ?? {})) headers[k] = headerString(m.headers, k) ?? '';
      entries.push({
        partition,
        offset: m.offset,
        key: m.key?.toString() ?? null,
        value: m.value?.toString() ?? null,
        headers,
      });
      return Promise.resolve();
    },
  );
  return entries;
}

/**
 * Replays a DLQ topic to the topic each message came from, with its original key, value and headers
 * (plus `hoso-replayed-from`). Progress is committed under `groupId`, so a replay resumes and never sends a
 * dead letter twice in normal operation; if it does, the consumers' inboxes drop the duplicate.
 */
export async function replayDlq(
  kafka: Kafka,
  producer: EventProducer,
  dlqTopic: string,
  opts: { groupId?: string; limit?: number; timeoutMs?: number } = {},
): Promise<{ replayed: number; byTopic: Record<string, number> }> {
  assertDlq(dlqTopic);
  const byTopic: Record<string, number> = {};
  let replayed = 0;
  await consumeUntilEnd(
    kafka,
    dlqTopic,
    opts.groupId ?? `hoso-dlq-replay.${dlqTopic}`,
    opts,
    true,
    async (partition, m) => {
      const target = headerString(m.headers, DLQ_HEADERS.originalTopic) ?? dlqTopic.slice(0, -DLQ_SUFFIX.length);
      const headers = withoutDlqHeaders(m.headers ?? {});
      headers[REPLAYED_FROM_HEADER] = `${dlqTopic}/${partition}/${m.offset}`;
      await producer.sendBatch([
        { topic: target, key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', headers },
      ]);
      byTopic[target] = (byTopic[target] ?? 0) + 1;
      replayed++;
    },
  );
  return { replayed, byTopic };
}

function assertDlq(topic: string): void {
  if (!topic.endsWith(DLQ_SUFFIX))
    throw new Error(`"${topic}" is not a dead-letter topic (must end with ${DLQ_SUFFIX})`);
}

/**
 * Consumes `topic` from the group's committed position (or the beginning) up to the end offsets seen at the
 * start, then stops: a bounded read, unlike a service consumer.
 */
async function consumeUntilEnd(
  kafka: Kafka,
  topic: string,
  groupId: string,
  opts: { limit?: number; timeoutMs?: number },
  commit: boolean,
  onMessage: (partition: number, m: KafkaMessage) => Promise<void>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let committed: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const starts = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    const groupOffsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    committed = new Map(
      (groupOffsets[0]?.partitions ?? []).map((p) => [
        p.partition,
        p.offset === '-1' ? (starts.get(p.partition) ?? 0n) : BigInt(p.offset),
      ]),
    );
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([p, end]) => (committed.get(p) ?? 0n) < end).map(([p]) => p));
  if (remaining.size === 0) return;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  let count = 0;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 3 } });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`reading ${topic} timed out`));
      }, opts.timeoutMs ?? 60_000);
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      consumer
        .run({
          autoCommit: commit,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end || count >= limit) break;
              await onMessage(batch.partition, m);
              count++;
              resolveOffset(m.offset);
              if (BigInt(m.offset) + 1n >= end) remaining.delete(batch.partition);
              await heartbeat();
            }
            if (commit) await commitOffsetsIfNecessary();
            if (remaining.size === 0 || count >= limit) finish();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
