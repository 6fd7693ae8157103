/**
 * What the metrics service answers (apps/metrics/src: rates, operations, snapshots controllers). The portal cannot
 * import a service's code: the rate names, counts and rates come from the shared @hoso/rates (pure, browser-safe);
 * the other shapes the dashboard reads are written out here.
 */
import { RATE_NAMES as ALL_RATE_NAMES, type RateCounts, type Rates as AllRates } from '@hoso/rates';

export type { RateCounts };

/** The rates the dashboard shows: every rate of @hoso/rates but digitisation (sent, not shown). */
export type RateName = Exclude<(typeof ALL_RATE_NAMES)[number], 'digitisation'>;
export const RATE_NAMES: readonly RateName[] = ALL_RATE_NAMES.filter((r): r is RateName => r !== 'digitisation');

/** A rate is null when there is nothing to measure (no denominator), never 0 % by accident. */
export type Rates = Pick<AllRates, RateName> & Partial<AllRates>;

export interface RateRow {
  key: string;
  counts: RateCounts;
  rates: Rates;
}

export const SCOPES = ['national', 'agency', 'province', 'procedure'] as const;
export type Scope = (typeof SCOPES)[number];

export const PERIODS = ['day', 'week', 'month'] as const;
export type Period = (typeof PERIODS)[number];

/** GET /rates?groupBy=… */
export interface RatesResponse {
  groupBy: string;
  from: string | null;
  to: string | null;
  asOf: string;
  rows: RateRow[];
}

/** GET /rates/summary (and the stream's `rates` event). */
export interface RatesSummary extends RateRow {
  from: string | null;
  to: string | null;
  asOf: string;
  scope: string;
}

export interface TrendPoint {
  /** First day of the bucket (YYYY-MM-DD, Vietnam time). */
  period: string;
  counts?: Partial<RateCounts>;
  rates: Partial<Rates>;
}

/** GET /rates/trend */
export interface TrendResponse {
  scope: Scope;
  code: string | null;
  period: Period;
  from: string | null;
  to: string | null;
  points: TrendPoint[];
}

/** POST /snapshots */
export interface SnapshotReport {
  published: number;
  period: { from: string; to: string };
  snapshotAt: string;
}

export interface TopicThroughput {
  topic: string;
  inPerSec: number | null;
  /** Per consuming group. */
  outPerSec: Record<string, number>;
}

export interface GroupLag {
  groupId: string;
  totalLag: number;
}

export interface DlqDepth {
  /** The dead-letter topic, e.g. `case.received.v1.dlq` (logical name, without the deployment prefix). */
  topic: string;
  /** The topic its messages came from. */
  sourceTopic: string;
  /** Dead letters waiting for a replay. */
  depth: number;
  /** Dead letters still kept in the topic, replayed or not (when the server says). */
  held?: number;
  /** When the oldest waiting one was dead-lettered (ISO 8601), when known. */
  oldestAt?: string | null;
}

export const QUEUE_COUNT_NAMES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'] as const;
export type QueueCountName = (typeof QUEUE_COUNT_NAMES)[number];

export interface QueueCounts {
  /** The queue without the environment's prefix, e.g. `case-sla`. */
  queue: string;
  /** The BullMQ queue name, e.g. `t1a2b3c4.case-sla`. */
  fullName: string;
  counts: Record<QueueCountName, number>;
  /** Set when the counts could not be read (Redis down): the row shows the error, not zeros. */
  error?: string;
}

/** The stream's `operations` event, normalised (see live/parse.ts). */
export interface OperationsSnapshot {
  /** Milliseconds since the epoch. */
  at: number;
  topics: TopicThroughput[];
  lag: GroupLag[];
  dlq: DlqDepth[];
  queues: QueueCounts[];
  /** A part the server could not read this round (Kafka or Redis down): its lists are empty, not zero. */
  errors: { kafka?: string; queues?: string };
}

export interface DlqMessage {
  /** What a replay of this one message names (`messageIds`). */
  id: string;
  partition: number;
  offset: string;
  key: string | null;
  originalTopic: string | null;
  originalPartition: string | null;
  originalOffset: string | null;
  error: string | null;
  reason: string | null;
  consumer: string | null;
  attempts: string | null;
  failedAt: string | null;
  /** When it was written to the DLQ (Kafka timestamp). */
  timestamp: string | null;
  /** Already sent back by an earlier replay (listed only when asking for every message). */
  replayed: boolean;
  /** `<dlq topic>/<partition>/<offset>` when it failed again after a replay. */
  replayedFrom: string | null;
  headers: Record<string, string>;
  /** The message value as sent (usually JSON); the server may cut a large one to a preview. */
  payload: string | null;
  payloadBytes: number | null;
  payloadTruncated: boolean;
}

export interface ReplayResult {
  replayed: number;
  byTopic?: Record<string, number>;
}

/** Catalog reads of the intake service (public). */
export interface Agency {
  code: string;
  name: string;
  nameEn: string;
  provinceCode: string | null;
}
export interface Province {
  code: string;
  name: string;
  nameEn: string;
}
export interface ProcedureSummary {
  code: string;
  name: string;
  nameEn: string;
}
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}
