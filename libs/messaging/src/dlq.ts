import type { Admin, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { DlqHeaderNames, ReplayedFromHeader } from '@hoso/api-types';
import { dlqTopicOf, DLQ_SUFFIX } from '@hoso/contracts';
import type { EventProducer, OutgoingMessage } from './producer';
import { withKafkaAdmin } from './kafka';

/** Typed with @hoso/api-types: the operator dashboard reads the same names off the metrics service's DLQ readout. */
export const DLQ_HEADERS = {
  error: 'hoso-dlq-error',
  reason: 'hoso-dlq-reason',
  originalTopic: 'hoso-dlq-original-topic',
  originalPartition: 'hoso-dlq-original-partition',
  originalOffset: 'hoso-dlq-original-offset',
  attempts: 'hoso-dlq-attempts',
  consumer: 'hoso-dlq-consumer',
  failedAt: 'hoso-dlq-failed-at',
} as const satisfies DlqHeaderNames;

export const REPLAYED_FROM_HEADER: ReplayedFromHeader = 'hoso-replayed-from';

/**
 * On a replayed dead letter: the consumer (inbox name) it is meant for, the one that dead-lettered it. Every other
 * consumer of the topic skips it — they handled the original, and a malformed one would be dead-lettered by each.
 */
export const REPLAY_TARGET_HEADER = 'hoso-replay-target';

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
    // The original bytes, whatever they are (not JSON, not UTF-8); a tombstone stays a null.
    value: d.message.value,
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

/**
 * The consumer group under which `replayDlq` commits its progress through a dead-letter topic (the CLI and the
 * operator API share it, so either resumes where the other stopped).
 */
export function replayGroupOf(dlqTopic: string): string {
  return `hoso-dlq-replay.${dlqTopic}`;
}

/** A dead letter's id within its DLQ topic: `<partition>:<offset>`, stable for as long as Kafka keeps it. */
export function dlqMessageId(partition: number, offset: string): string {
  return `${partition}:${offset}`;
}

export interface DlqEntry {
  /** `<partition>:<offset>` (see dlqMessageId). */
  id: string;
  partition: number;
  offset: string;
  /** When the message was written to the DLQ (Kafka timestamp, ISO 8601). */
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

function toEntry(partition: number, m: KafkaMessage): DlqEntry {
  const headers: Record<string, string> = {};
  for (const k of Object.keys(m.headers ?? {})) headers[k] = headerString(m.headers, k) ?? '';
  return {
    id: dlqMessageId(partition, m.offset),
    partition,
    offset: m.offset,
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
    headers,
  };
}

export interface DlqPartitionDepth {
  partition: number;
  /** Log start offset: older dead letters were removed by retention. */
  low: string;
  /** End offset: the offset the next dead letter will get. */
  high: string;
  /** Where the next replay starts: the replay group's committed offset (never below `low`). */
  replayedTo: string;
  pending: number;
}

export interface DlqDepth {
  topic: string;
  replayGroup: string;
  /** Dead letters still in the topic (end − log start), replayed or not. */
  held: number;
  /** Dead letters not yet replayed: Σ end − max(log start, replay group's committed offset); what a replay sends. */
  pending: number;
  partitions: DlqPartitionDepth[];
}

/**
 * How many dead letters wait for a replay. `replayDlq` commits its position under the replay group, so "not yet
 * replayed" is exactly "at or after that position" — two offset requests, no message read.
 */
export async function dlqDepth(admin: Admin, dlqTopic: string, groupId = replayGroupOf(dlqTopic)): Promise<DlqDepth> {
  assertDlq(dlqTopic);
  const positions = await positionsOf(admin, dlqTopic, groupId);
  const partitions = [...positions].map(([partition, p]) => ({
    partition,
    low: String(p.low),
    high: String(p.high),
    replayedTo: String(p.from),
    pending: Number(p.high - p.from),
  }));
  return {
    topic: dlqTopic,
    replayGroup: groupId,
    held: partitions.reduce((s, p) => s + Number(BigInt(p.high) - BigInt(p.low)), 0),
    pending: partitions.reduce((s, p) => s + p.pending, 0),
    partitions: partitions.sort((a, b) => a.partition - b.partition),
  };
}

interface Position {
  low: bigint;
  high: bigint;
  /** The group's committed offset, or the log start when it has none (or retention removed it). */
  from: bigint;
}

async function positionsOf(admin: Admin, topic: string, groupId: string): Promise<Map<number, Position>> {
  const [offsets, group] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Map((group[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  return new Map(
    offsets.map((o) => {
      const low = BigInt(o.low);
      const c = committed.get(o.partition);
      const from = c === undefined || c === '-1' || BigInt(c) < low ? low : BigInt(c);
      return [o.partition, { low, high: BigInt(o.high), from }];
    }),
  );
}

/**
 * Reads messages of a DLQ topic with a throwaway group (commits nothing): every message from the log start, or with
 * `from: 'pending'` only those the replay group has not replayed yet. `perPartition` caps what is read per
 * partition (1: the oldest of each), `limit` the total.
 */
export async function readDlq(
  kafka: Kafka,
  dlqTopic: string,
  opts: {
    limit?: number;
    perPartition?: number;
    from?: 'start' | 'pending';
    replayGroupId?: string;
    timeoutMs?: number;
  } = {},
): Promise<DlqEntry[]> {
  assertDlq(dlqTopic);
  const positions = await withKafkaAdmin(kafka, (admin) =>
    positionsOf(admin, dlqTopic, opts.replayGroupId ?? replayGroupOf(dlqTopic)),
  );
  const ranges = new Map(
    [...positions].map(([p, pos]) => {
      const start = opts.from === 'pending' ? pos.from : pos.low;
      const end = opts.perPartition ? min(pos.high, start + BigInt(opts.perPartition)) : pos.high;
      return [p, { start, end }];
    }),
  );
  const entries: DlqEntry[] = [];
  await consumeRanges(
    kafka,
    dlqTopic,
    `hoso-dlq-peek-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    ranges,
    opts,
    false,
    (partition, m) => {
      entries.push(toEntry(partition, m));
      return Promise.resolve(true);
    },
  );
  return entries;
}

/**
 * Replays a DLQ topic to its source topic (the DLQ's name without `.dlq`), with each message's original key, value and headers
 * (plus `hoso-replayed-from`, and `hoso-replay-target` naming the consumer that failed it: only that one applies
 * it again, so the other groups of the topic add no effect and no dead letter). Progress is committed under `groupId`, so a replay resumes and never sends a
 * dead letter twice in normal operation; if it does, the consumers' inboxes drop the duplicate.
 *
 * With `select`, only the messages it accepts are sent. The committed position then moves only past a partition's
 * leading run of sent messages: a message skipped stays pending (counted by `dlqDepth`, sent by a later replay),
 * and so do the selected ones after it — a later full replay sends those again, which the inboxes absorb.
 */
export async function replayDlq(
  kafka: Kafka,
  producer: EventProducer,
  dlqTopic: string,
  opts: { groupId?: string; limit?: number; timeoutMs?: number; select?: (entry: DlqEntry) => boolean } = {},
): Promise<{ replayed: number; byTopic: Record<string, number> }> {
  assertDlq(dlqTopic);
  const groupId = opts.groupId ?? replayGroupOf(dlqTopic);
  const positions = await withKafkaAdmin(kafka, (admin) => positionsOf(admin, dlqTopic, groupId));
  const ranges = new Map([...positions].map(([p, pos]) => [p, { start: pos.from, end: pos.high }]));
  const byTopic: Record<string, number> = {};
  let replayed = 0;
  const select = opts.select;
  await consumeRanges(kafka, dlqTopic, groupId, ranges, opts, true, async (partition, m) => {
    if (select && !select(toEntry(partition, m))) return false;
    // Always the DLQ's own source topic, never the one its `hoso-dlq-original-topic` header names: headers are data
    // written by whoever produced the dead letter, and a forged one must not route a replay to another topic.
    const target = dlqTopic.slice(0, -DLQ_SUFFIX.length);
    let headers = withoutDlqHeaders(m.headers ?? {});
    headers[REPLAYED_FROM_HEADER] = `${dlqTopic}/${partition}/${m.offset}`;
    // Only the consumer that failed it applies it again (a dead letter of before this header reaches every one).
    const failedBy = headerString(m.headers, DLQ_HEADERS.consumer);
    if (failedBy) headers[REPLAY_TARGET_HEADER] = failedBy;
    else headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== REPLAY_TARGET_HEADER));
    await producer.sendBatch([{ topic: target, key: m.key?.toString() ?? '', value: m.value, headers }]);
    byTopic[target] = (byTopic[target] ?? 0) + 1;
    replayed++;
    return true;
  });
  return { replayed, byTopic };
}

function assertDlq(topic: string): void {
  if (!topic.endsWith(DLQ_SUFFIX))
    throw new Error(`"${topic}" is not a dead-letter topic (must end with ${DLQ_SUFFIX})`);
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Consumes `[start, end)` of each partition of `topic`, then stops: a bounded read, unlike a service consumer.
 * `onMessage` answers whether it handled the message (counted against `limit`). With `commit`, the group's
 * position moves past each partition's leading run of handled messages; without, the group is a throwaway one
 * and is moved to each range's start (a seek; reading from the log start would also work, only slower).
 */
async function consumeRanges(
  kafka: Kafka,
  topic: string,
  groupId: string,
  ranges: ReadonlyMap<number, { start: bigint; end: bigint }>,
  opts: { limit?: number; timeoutMs?: number },
  commit: boolean,
  onMessage: (partition: number, m: KafkaMessage) => Promise<boolean>,
): Promise<void> {
  // next: the next offset to look at, per partition with something left to read.
  const next = new Map([...ranges].filter(([, r]) => r.start < r.end).map(([p, r]) => [p, r.start]));
  if (next.size === 0) return;
  const committed = new Map(next);
  const leading = new Set(next.keys());
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
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
            const p = batch.partition;
            const end = ranges.get(p)?.end ?? 0n;
            for (const m of batch.messages) {
              const at = next.get(p);
              if (at === undefined || count >= limit) break;
              const offset = BigInt(m.offset);
              // Before the range, or seen already (a batch fetched before the seek took effect).
              if (offset < at) continue;
              if (offset >= end) break;
              const handled = await onMessage(p, m);
              if (handled) count++;
              if (handled && leading.has(p)) committed.set(p, offset + 1n);
              else leading.delete(p);
              next.set(p, offset + 1n);
              if (offset + 1n >= end) next.delete(p);
              resolveOffset(m.offset);
              await heartbeat();
            }
            const position = committed.get(p);
            if (commit && position !== undefined && position > (ranges.get(p)?.start ?? 0n)) {
              await commitOffsetsIfNecessary({
                topics: [{ topic, partitions: [{ partition: p, offset: String(position) }] }],
              });
            }
            if (next.size === 0 || count >= limit) finish();
          },
        })
        .then(() => {
          if (!commit)
            for (const [partition, r] of ranges) consumer.seek({ topic, partition, offset: String(r.start) });
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
