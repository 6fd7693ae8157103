import {
  QUEUE_COUNT_NAMES,
  type DlqDepth,
  type GroupLag,
  type OperationsSnapshot,
  type QueueCountName,
  type QueueCounts,
  type RatesSummary,
  type TopicThroughput,
} from '../api/types';

/**
 * Turns the stream's and the REST readouts' JSON into the dashboard's shapes. The server is trusted to be the
 * metrics service, but a malformed event must not take the dashboard down: it is reported and skipped.
 */
export class StreamParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamParseError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function instant(v: unknown): number {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new StreamParseError(`"at" is not an instant: ${JSON.stringify(v)}`);
  return t;
}

function list(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  // Some readouts are maps keyed by name; both are accepted.
  if (isObject(v))
    return Object.entries(v).map(([name, value]) => (isObject(value) ? { name, ...value } : { name, value }));
  if (v === undefined || v === null) return [];
  throw new StreamParseError(`"${what}" is not a list`);
}

function numberRecord(v: unknown): Record<string, number> {
  if (!isObject(v)) return {};
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = num(x);
    if (n !== null) out[k] = n;
  }
  return out;
}

export function parseTopics(v: unknown): TopicThroughput[] {
  return list(v, 'topics').flatMap((raw) => {
    if (!isObject(raw)) return [];
    const topic = str(raw.topic) ?? str(raw.name);
    if (!topic) return [];
    const out = raw.outPerSec;
    return [
      {
        topic,
        inPerSec: num(raw.inPerSec) ?? num(raw.in),
        // A single number is "all groups together".
        outPerSec: typeof out === 'number' ? { all: out } : numberRecord(out ?? raw.out),
      },
    ];
  });
}

export function parseLag(v: unknown): GroupLag[] {
  const groups = isObject(v) && Array.isArray(v.groups) ? v.groups : v;
  return list(groups, 'lag').flatMap((raw) => {
    if (!isObject(raw)) return [];
    const groupId = str(raw.groupId) ?? str(raw.group) ?? str(raw.name);
    const totalLag = num(raw.totalLag) ?? num(raw.lag) ?? num(raw.value);
    return groupId !== null && totalLag !== null ? [{ groupId, totalLag }] : [];
  });
}

const DLQ_SUFFIX = '.dlq';

export function parseDlq(v: unknown): DlqDepth[] {
  const topics = isObject(v) && Array.isArray(v.topics) ? v.topics : v;
  return list(topics, 'dlq').flatMap((raw) => {
    if (!isObject(raw)) return [];
    const named = str(raw.dlqTopic) ?? str(raw.topic) ?? str(raw.name);
    const depth = num(raw.depth) ?? num(raw.value);
    if (named === null || depth === null) return [];
    const topic = named.endsWith(DLQ_SUFFIX) ? named : `${named}${DLQ_SUFFIX}`;
    const sourceTopic = str(raw.sourceTopic) ?? str(raw.originalTopic) ?? topic.slice(0, -DLQ_SUFFIX.length);
    const held = num(raw.held);
    const oldestAt = str(raw.oldestAt);
    return [{ topic, sourceTopic, depth, ...(held !== null ? { held } : {}), ...(oldestAt ? { oldestAt } : {}) }];
  });
}

export function parseQueues(v: unknown): QueueCounts[] {
  const queues = isObject(v) && Array.isArray(v.queues) ? v.queues : v;
  return list(queues, 'queues').flatMap((raw) => {
    if (!isObject(raw)) return [];
    const fullName = str(raw.name) ?? str(raw.queue);
    const queue = str(raw.queue) ?? fullName;
    if (!queue || !fullName) return [];
    const source = isObject(raw.counts) ? raw.counts : raw;
    const counts = Object.fromEntries(QUEUE_COUNT_NAMES.map((n) => [n, num(source[n]) ?? 0])) as Record<
      QueueCountName,
      number
    >;
    const error = str(raw.error);
    return [{ queue, fullName, counts, ...(error ? { error } : {}) }];
  });
}

function parseErrors(v: unknown): OperationsSnapshot['errors'] {
  if (!isObject(v)) return {};
  const kafka = str(v.kafka);
  const queues = str(v.queues);
  return { ...(kafka ? { kafka } : {}), ...(queues ? { queues } : {}) };
}

export function parseOperations(data: unknown): OperationsSnapshot {
  if (!isObject(data)) throw new StreamParseError('operations event is not an object');
  return {
    at: instant(data.at),
    topics: parseTopics(data.topics),
    lag: parseLag(data.lag),
    dlq: parseDlq(data.dlq),
    queues: parseQueues(data.queues),
    errors: parseErrors(data.errors),
  };
}

export function parseRatesSummary(data: unknown): RatesSummary {
  if (!isObject(data) || !isObject(data.counts) || !isObject(data.rates)) {
    throw new StreamParseError('rates event has no counts and rates');
  }
  return data as unknown as RatesSummary;
}

/** The JSON of one SSE `data:` field. */
export function parseEventData(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new StreamParseError('event data is not JSON');
  }
}
