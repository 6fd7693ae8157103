import type { EntityManager } from 'typeorm';
import type { Catalog, EventOf, Payload, Topic } from '@hoso/contracts';
import { vnDay } from '../rates/domain/period';

/** Every topic of the catalog except the metrics service's own snapshots. */
export const consumedTopics = [
  'dossier.submitted.v1',
  'dossier.withdrawn.v1',
  'identity.verified.v1',
  'identity.rejected.v1',
  'payment.requested.v1',
  'payment.waived.v1',
  'payment.completed.v1',
  'payment.failed.v1',
  'payment.refunded.v1',
  'case.received.v1',
  'case.status-changed.v1',
  'case.status-changed.v2',
  'case.completed.v1',
  'case.rated.v1',
] as const satisfies readonly Topic[];
export type ConsumedTopic = (typeof consumedTopics)[number];

type Ev<T extends Topic> = EventOf<Catalog, T>;

const TABLE = 'metrics_dossier_facts';

/**
 * What one event says about its dossier: the columns it sets, in the fact table's own names. Each event only
 * states facts; how a fact combines with what the row already holds (earliest or latest wins by the event's
 * business timestamp, flags only ever turn on) is decided once, in {@link MERGE}, so the projection converges to
 * the same row in any arrival order and on any redelivery or replay.
 */
interface FactPatch {
  dossier_id: string;
  /** The submission: the authority on the dossier's dimensions. */
  submitted?: true;
  agency_code?: string;
  province_code?: string;
  procedure_code?: string;
  service_level?: string;
  channel?: string;
  submitted_at?: string;
  submitted_day?: string;
  fee_vnd?: number;
  has_attachments?: boolean;
  /** Case events carry the dimensions too; they fill them only until the submission is seen. */
  case_agency_code?: string;
  case_province_code?: string;
  case_procedure_code?: string;
  withdrawn_at?: string;
  identity_status?: 'VERIFIED' | 'REJECTED';
  fee_charged?: true;
  waived?: true;
  paid_online?: true;
  paid_offline?: true;
  payment_failed_final?: true;
  refunded?: true;
  received_at?: string;
  received_day?: string;
  /** due_at null = clock paused; due_as_of says the patch carries a due date at all. */
  due_at?: string | null;
  due_as_of?: string;
  case_status?: string;
  status_at?: string;
  completed_at?: string;
  completed_day?: string;
  outcome?: string;
  on_time?: boolean;
  result_digital?: boolean;
  rating?: number;
  rated_at?: string;
  rated_day?: string;
}

/** The record type of a patch row in SQL (jsonb_to_recordset): every key of {@link FactPatch}. */
const PATCH_RECORD = `dossier_id uuid, submitted boolean, agency_code text, province_code text, procedure_code text,
  service_level text, channel text, submitted_at timestamptz, submitted_day date, fee_vnd bigint,
  has_attachments boolean, case_agency_code text, case_province_code text, case_procedure_code text,
  withdrawn_at timestamptz, identity_status text, fee_charged boolean, waived boolean, paid_online boolean,
  paid_offline boolean, payment_failed_final boolean, refunded boolean, received_at timestamptz, received_day date,
  due_at timestamptz, due_as_of timestamptz, case_status text, status_at timestamptz, completed_at timestamptz,
  completed_day date, outcome text, on_time boolean, result_digital boolean, rating smallint, rated_at timestamptz,
  rated_day date`;

/** Columns taken from the patch when `condition` holds, kept otherwise. */
const takeWhen = (condition: string, columns: string[]) =>
  columns.map((c) => `${c} = CASE WHEN ${condition} THEN p.${c} ELSE f.${c} END`);

const dimension = (c: string) =>
  `${c} = CASE WHEN p.submitted IS TRUE THEN p.${c} WHEN f.dims_from_submission THEN f.${c}
     ELSE COALESCE(f.${c}, p.case_${c}) END`;

const flag = (c: string) => `${c} = f.${c} OR p.${c} IS TRUE`;

/**
 * How a patch combines with the row (f = the row, p = the patch). Every column's new value depends only on the
 * row's old values and the patch, never on another column set by the same statement, so one UPDATE applies an
 * event exactly as the former one-statement-per-fact projection did.
 */
const MERGE = [
  ...['agency_code', 'province_code', 'procedure_code'].map(dimension),
  ...takeWhen('p.submitted IS TRUE', [
    'service_level',
    'channel',
    'submitted_at',
    'submitted_day',
    'fee_vnd',
    'has_attachments',
  ]),
  'dims_from_submission = f.dims_from_submission OR p.submitted IS TRUE',
  'withdrawn_at = LEAST(f.withdrawn_at, p.withdrawn_at)',
  // Identity decides once; a rejection seen in any order wins over a verification (both never happen together).
  `identity_status = CASE WHEN p.identity_status = 'REJECTED' THEN 'REJECTED'
     ELSE COALESCE(f.identity_status, p.identity_status) END`,
  ...['fee_charged', 'waived', 'paid_online', 'paid_offline', 'payment_failed_final', 'refunded'].map(flag),
  // The earliest reception wins.
  ...takeWhen('p.received_at IS NOT NULL AND (f.received_at IS NULL OR f.received_at > p.received_at)', [
    'received_at',
    'received_day',
  ]),
  // Each of case.received and case.status-changed states the due date as of its own timestamp: the latest wins.
  ...takeWhen('p.due_as_of IS NOT NULL AND (f.due_as_of IS NULL OR f.due_as_of <= p.due_as_of)', [
    'due_at',
    'due_as_of',
  ]),
  ...takeWhen('p.status_at IS NOT NULL AND (f.status_at IS NULL OR f.status_at < p.status_at)', [
    'case_status',
    'status_at',
  ]),
  // A case completes once; should two completions ever be seen, the earliest wins in any arrival order.
  ...takeWhen('p.completed_at IS NOT NULL AND (f.completed_at IS NULL OR f.completed_at > p.completed_at)', [
    'completed_at',
    'completed_day',
    'outcome',
    'on_time',
    'result_digital',
  ]),
  ...takeWhen('p.rated_at IS NOT NULL AND (f.rated_at IS NULL OR f.rated_at < p.rated_at)', [
    'rating',
    'rated_at',
    'rated_day',
  ]),
].join(',\n  ');

const caseDimensions = (p: { agencyCode: string; provinceCode: string; procedureCode: string }) => ({
  case_agency_code: p.agencyCode,
  case_province_code: p.provinceCode,
  case_procedure_code: p.procedureCode,
});

/** A move of the case (v1, read for the events already in the log, and v2: the same payload). */
const statusMove = (p: Payload<'case.status-changed.v1'> | Payload<'case.status-changed.v2'>): FactPatch => ({
  dossier_id: p.dossierId,
  case_status: p.to,
  status_at: p.changedAt,
  due_at: p.dueAt,
  due_as_of: p.changedAt,
  ...(p.to === 'WITHDRAWN' ? { withdrawn_at: p.changedAt } : {}),
});

const patchers: { [T in ConsumedTopic]: (event: Ev<T>) => FactPatch } = {
  'dossier.submitted.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    submitted: true,
    agency_code: p.agencyCode,
    province_code: p.provinceCode,
    procedure_code: p.procedureCode,
    service_level: p.serviceLevel,
    channel: p.channel,
    submitted_at: p.submittedAt,
    submitted_day: vnDay(p.submittedAt),
    fee_vnd: p.feeVnd,
    has_attachments: p.attachments.length > 0,
  }),
  'dossier.withdrawn.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, withdrawn_at: p.withdrawnAt }),
  'identity.verified.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, identity_status: 'VERIFIED' }),
  'identity.rejected.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, identity_status: 'REJECTED' }),
  'payment.requested.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, fee_charged: true }),
  'payment.waived.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, waived: true }),
  'payment.completed.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    fee_charged: true,
    ...(p.online ? { paid_online: true } : { paid_offline: true }),
  }),
  'payment.failed.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    ...(p.final ? { payment_failed_final: true } : {}),
  }),
  'payment.refunded.v1': ({ payload: p }) => ({ dossier_id: p.dossierId, refunded: true }),
  'case.received.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    ...caseDimensions(p),
    received_at: p.receivedAt,
    received_day: vnDay(p.receivedAt),
    // The reception is the case's first status (v1 also stated it as a move; the same status at the same instant).
    case_status: 'RECEIVED',
    status_at: p.receivedAt,
    due_at: p.dueAt,
    due_as_of: p.receivedAt,
  }),
  'case.status-changed.v1': ({ payload }) => statusMove(payload),
  'case.status-changed.v2': ({ payload }) => statusMove(payload),
  'case.completed.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    ...caseDimensions(p),
    completed_at: p.completedAt,
    completed_day: vnDay(p.completedAt),
    outcome: p.outcome,
    on_time: p.onTime,
    result_digital: p.resultDocument !== null,
    // The completion is the case's last status (v1 also stated it as a move; the same status at the same instant).
    case_status: 'COMPLETED',
    status_at: p.completedAt,
  }),
  'case.rated.v1': ({ payload: p }) => ({
    dossier_id: p.dossierId,
    ...caseDimensions(p),
    rating: p.score,
    rated_at: p.ratedAt,
    rated_day: vnDay(p.ratedAt),
  }),
};

/**
 * Applies a topic's events to the fact table with `m` (the consumer's flush transaction; the replay's own): one
 * statement creating the rows not seen yet, then one multi-row UPDATE per "round". An UPDATE … FROM applies at most
 * one patch row to a fact row, so a dossier's second event in the same set goes into the next round: rounds =
 * the most events one dossier has in the set (usually 1), each round in the events' own order.
 *
 * No lock is taken beyond the rows themselves: a consumer applies its flushes one after another, so the former
 * global advisory lock (which serialised partition batches applied side by side) guarded nothing any more. Two
 * instances that ever lock the same rows in opposite orders deadlock, and PostgreSQL aborts one: the consumer
 * redoes that flush whole.
 */
export async function projectEvents<T extends ConsumedTopic>(
  topic: T,
  events: readonly Ev<T>[],
  m: EntityManager,
): Promise<void> {
  if (events.length === 0) return;
  const patch = patchers[topic] as (event: Ev<T>) => FactPatch;
  const rounds: FactPatch[][] = [];
  const seen = new Map<string, number>();
  for (const event of events) {
    const p = patch(event);
    const round = seen.get(p.dossier_id) ?? 0;
    seen.set(p.dossier_id, round + 1);
    (rounds[round] ??= []).push(p);
  }
  // Sorted: concurrent writers of new rows wait on each other's keys in one order.
  await m.query(
    `INSERT INTO ${TABLE} (dossier_id) SELECT id FROM unnest($1::uuid[]) AS id ORDER BY id ON CONFLICT DO NOTHING`,
    [[...seen.keys()]],
  );
  for (const round of rounds) {
    await m.query(
      `UPDATE ${TABLE} AS f SET
  ${MERGE}
       FROM jsonb_to_recordset($1::jsonb) AS p(${PATCH_RECORD})
       WHERE f.dossier_id = p.dossier_id`,
      [JSON.stringify(round)],
    );
  }
}
