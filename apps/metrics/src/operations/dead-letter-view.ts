import { DLQ_HEADERS, REPLAYED_FROM_HEADER, type DlqEntry } from '@hoso/messaging';

/** How much of a dead letter's value the operator readout shows: enough to recognise it, never megabytes. */
export const PAYLOAD_PREVIEW_BYTES = 4096;

export interface DeadLetterView {
  /** `<partition>:<offset>` in the DLQ topic: what `POST …/replay {messageIds}` names. */
  id: string;
  partition: number;
  offset: string;
  /** When it was dead-lettered (Kafka timestamp). */
  timestamp: string;
  key: string | null;
  /** Behind the replay position: a replay already sent it back (see GET /operations/dlq). */
  replayed: boolean;
  /** Physical topic (with the environment's prefix), partition and offset it was consumed from. */
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: string | null;
  /** Consumer group that gave up on it. */
  consumer: string | null;
  reason: string | null;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  /** `<dlq topic>/<partition>/<offset>` when the message failed again after a replay. */
  replayedFrom: string | null;
  headers: Record<string, string>;
  payload: string | null;
  payloadBytes: number;
  payloadTruncated: boolean;
}

/** The first `maxBytes` bytes of a UTF-8 string, never cutting a character in two. */
export function previewPayload(
  value: string | null,
  maxBytes = PAYLOAD_PREVIEW_BYTES,
): { payload: string | null; payloadBytes: number; payloadTruncated: boolean } {
  if (value === null) return { payload: null, payloadBytes: 0, payloadTruncated: false };
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return { payload: value, payloadBytes: bytes.length, payloadTruncated: false };
  // A cut inside a multi-byte sequence decodes to U+FFFD at the end: drop it.
  const cut = bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return { payload: cut, payloadBytes: bytes.length, payloadTruncated: true };
}

const intOrNull = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);

/** One dead letter for the operator: the DLQ headers read out, the payload cut to a preview. */
export function deadLetterView(e: DlqEntry, replayedTo: bigint | undefined): DeadLetterView {
  const h = e.headers;
  return {
    id: e.id,
    partition: e.partition,
    offset: e.offset,
    timestamp: e.timestamp,
    key: e.key,
    replayed: replayedTo !== undefined && BigInt(e.offset) < replayedTo,
    originalTopic: h[DLQ_HEADERS.originalTopic] ?? null,
    originalPartition: intOrNull(h[DLQ_HEADERS.originalPartition]),
    originalOffset: h[DLQ_HEADERS.originalOffset] ?? null,
    consumer: h[DLQ_HEADERS.consumer] ?? null,
    reason: h[DLQ_HEADERS.reason] ?? null,
    error: h[DLQ_HEADERS.error] ?? null,
    attempts: intOrNull(h[DLQ_HEADERS.attempts]),
    failedAt: h[DLQ_HEADERS.failedAt] ?? null,
    replayedFrom: h[REPLAYED_FROM_HEADER] ?? null,
    headers: h,
    ...previewPayload(e.value),
  };
}

/** The ids among `ids` that are not waiting for a replay: unknown partition, before the replay position, or past the end. */
export function notPending(
  ids: readonly string[],
  partitions: readonly { partition: number; replayedTo: string; high: string }[],
): string[] {
  return ids.filter((id) => {
    const [p, o] = id.split(':');
    const part = partitions.find((x) => String(x.partition) === p);
    if (!part || o === undefined) return true;
    const offset = BigInt(o);
    return offset < BigInt(part.replayedTo) || offset >= BigInt(part.high);
  });
}
