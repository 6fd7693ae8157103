import type { DlqHeaderNames, ReplayedFromHeader } from '@hoso/api-types';
import { api } from '../../api/client';
import type { DlqMessage, ReplayResult, SnapshotReport } from './types';

/** The metrics service through the gateway (prefix stripped there). */
export const METRICS = '/api/metrics';
export const INTAKE = '/api/intake';

export const DLQ_MESSAGE_LIMIT = 20;

/**
 * Header names of libs/messaging (dlq.ts DLQ_HEADERS): the portal cannot import the Node library, so the names are
 * written out here, typed with @hoso/api-types as there — a name spelled differently on either side does not compile.
 */
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
const REPLAYED_FROM_HEADER: ReplayedFromHeader = 'hoso-replayed-from';

export function dlqMessagesPath(topic: string, limit = DLQ_MESSAGE_LIMIT): string {
  return `${METRICS}/operations/dlq/${encodeURIComponent(topic)}/messages?limit=${limit}`;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;

/** One dead letter as the dashboard shows it, from the server's entry (headers flattened to strings). */
export function toDlqMessage(raw: unknown): DlqMessage | null {
  if (!isObject(raw)) return null;
  const headers: Record<string, string> = {};
  if (isObject(raw.headers)) {
    for (const [k, v] of Object.entries(raw.headers)) {
      const s = text(v);
      if (s !== null) headers[k] = s;
    }
  }
  const partition = typeof raw.partition === 'number' ? raw.partition : Number(raw.partition ?? NaN);
  const offset = text(raw.offset) ?? '';
  const field = (name: string, header: string) => text(raw[name]) ?? headers[header] ?? null;
  const payload = raw.payload ?? raw.value;
  return {
    id: text(raw.id) ?? `${partition}:${offset}`,
    partition,
    offset,
    key: text(raw.key),
    originalTopic: field('originalTopic', DLQ_HEADERS.originalTopic),
    originalPartition: field('originalPartition', DLQ_HEADERS.originalPartition),
    originalOffset: field('originalOffset', DLQ_HEADERS.originalOffset),
    error: field('error', DLQ_HEADERS.error),
    reason: field('reason', DLQ_HEADERS.reason),
    consumer: field('group', DLQ_HEADERS.consumer) ?? field('consumer', DLQ_HEADERS.consumer),
    attempts: field('attempts', DLQ_HEADERS.attempts),
    failedAt: field('failedAt', DLQ_HEADERS.failedAt),
    timestamp: text(raw.timestamp),
    replayed: raw.replayed === true,
    replayedFrom: field('replayedFrom', REPLAYED_FROM_HEADER),
    headers,
    payload:
      payload === undefined || payload === null
        ? null
        : typeof payload === 'string'
          ? payload
          : JSON.stringify(payload),
    payloadBytes: typeof raw.payloadBytes === 'number' ? raw.payloadBytes : null,
    payloadTruncated: raw.payloadTruncated === true,
  };
}

export function toDlqMessages(body: unknown): DlqMessage[] {
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.messages) ? body.messages : [];
  return list.flatMap((m: unknown) => {
    const msg = toDlqMessage(m);
    return msg ? [msg] : [];
  });
}

/** JSON payloads indented for reading; anything else (or a cut preview, no longer JSON) as it came. */
export function prettyPayload(payload: string | null, truncated = false): string {
  if (payload === null) return '';
  if (truncated) return payload;
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export function replayDlq(topic: string, body: { limit?: number; messageIds?: string[] }): Promise<ReplayResult> {
  return api<ReplayResult>(`${METRICS}/operations/dlq/${encodeURIComponent(topic)}/replay`, { json: body });
}

export function publishSnapshots(): Promise<SnapshotReport> {
  return api<SnapshotReport>(`${METRICS}/snapshots`, { method: 'POST' });
}
