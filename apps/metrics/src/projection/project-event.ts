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

/**
 * How each column of a fact row combines what the row holds with what a patch says. Declared once and compiled
 * twice: into {@link MERGE} (a patch applied to a row, in SQL) and into {@link fold} (two patches of one dossier
 * folded into one that, applied to any row, gives what applying them one after the other gives). The fold lets a set
 * with several events of one dossier update its row once, instead of once per event.
 */
type Rule =
  /** Set by the submission; before it, filled from the first case event that names it. */
  | { kind: 'dimension'; column: string }
  /** Set by the submission only (the last submission, should one ever be seen twice). */
  | { kind: 'submission'; columns: string[] }
  /** Only ever turns on. */
  | { kind: 'flag'; column: string }
  /** The earliest non-null value. */
  | { kind: 'least'; column: string }
  /** A rejection wins in any order; otherwise the first value seen. */
  | { kind: 'identity'; column: string }
  /**
   * Columns taken together from the patch whose `key` wins: the earliest or the latest key, and on a tie the
   * value already held (`first`) or the one applied last (`last`).
   */
  | { kind: 'group'; key: string; wins: 'earliest' | 'latest'; ties: 'first' | 'last'; columns: string[] };

const RULES: readonly Rule[] = [
  ...['agency_code', 'province_code', 'procedure_code'].map((column): Rule => ({ kind: 'dimension', column })),
  {
    kind: 'submission',
    columns: ['service_level', 'channel', 'submitted_at', 'submitted_day', 'fee_vnd', 'has_attachments'],
  },
  { kind: 'least', column: 'withdrawn_at' },
  // Identity decides once; a rejection seen in any order wins over a verification (both never happen together).
  { kind: 'identity', column: 'identity_status' },
  ...['fee_charged', 'waived', 'paid_online', 'paid_offline', 'payment_failed_final', 'refunded'].map(
    (column): Rule => ({ kind: 'flag', column }),
  ),
  // The earliest reception wins.
  { kind: 'group', key: 'received_at', wins: 'earliest', ties: 'first', columns: ['received_day'] },
  // Each of case.received and case.status-changed states the due date as of its own timestamp: the latest wins.
  { kind: 'group', key: 'due_as_of', wins: 'latest', ties: 'last', columns: ['due_at'] },
  { kind: 'group', key: 'status_at', wins: 'latest', ties: 'first', columns: ['case_status'] },
  // A case completes once; should two completions ever be seen, the earliest wins in any arrival order.
  {
    kind: 'group',
    key: 'completed_at',
    wins: 'earliest',
    ties: 'first',
    columns: ['outcome', 'on_time', 'result_digital', 'completed_day'],
  },
  { kind: 'group', key: 'rated_at', wins: 'latest', ties: 'first', columns: ['rating', 'rated_day'] },
];

/** The row `f` takes the patch's group when the patch's key beats the row's (or the row has none). */
const GROUP_BEATS = { earliest: { first: '>', last: '>=' }, latest: { first: '<', last: '<=' } } as const;

/** Columns taken from the patch when `condition` holds, kept otherwise. */
const takeWhen = (condition: string, columns: string[]): [string, string][] =>
  columns.map((c) => [c, `CASE WHEN ${condition} THEN p.${c} ELSE f.${c} END`]);

/**
 * How a patch combines with the row (f = the row, p = the patch): each column with its new value. Every value
 * depends only on the row's old values and the patch, never on another column set by the same statement, so one
 * UPDATE applies an event exactly as the former one-statement-per-fact projection did. A row of nulls for `f` gives
 * the row a patch creates (flags test `IS TRUE`, so a null reads as off).
 */
const MERGED: readonly [string, string][] = [
  ...RULES.flatMap((r): [string, string][] => {
    switch (r.kind) {
      case 'dimension':
        return [
          [
            r.column,
            `CASE WHEN p.submitted IS TRUE THEN p.${r.column} WHEN f.dims_from_submission THEN f.${r.column}
     ELSE COALESCE(f.${r.column}, p.case_${r.column}) END`,
          ],
        ];
      case 'submission':
        return takeWhen('p.submitted IS TRUE', r.columns);
      case 'flag':
        return [[r.column, `f.${r.column} IS TRUE OR p.${r.column} IS TRUE`]];
      case 'least':
        return [[r.column, `LEAST(f.${r.column}, p.${r.column})`]];
      case 'identity':
        return [
          [
            r.column,
            `CASE WHEN p.${r.column} = 'REJECTED' THEN 'REJECTED' ELSE COALESCE(f.${r.column}, p.${r.column}) END`,
          ],
        ];
      case 'group':
        return takeWhen(
          `p.${r.key} IS NOT NULL AND (f.${r.key} IS NULL OR f.${r.key} ${GROUP_BEATS[r.wins][r.ties]} p.${r.key})`,
          [r.key, ...r.columns],
        );
    }
  }),
  ['dims_from_submission', 'f.dims_from_submission IS TRUE OR p.submitted IS TRUE'],
];

/** The SET list of the UPDATE of existing rows. */
const MERGE = MERGED.map(([c, value]) => `${c} = ${value}`).join(',\n  ');

/**
 * An instant as a number that orders like PostgreSQL's timestamptz (microseconds; any offset), so the fold below
 * picks the patch the SQL comparison would pick, ties included.
 */
function instant(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO date-time: ${iso}`);
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  // Date.parse keeps whole milliseconds; PostgreSQL keeps microseconds (rounded).
  return (ms - Number(fraction.slice(0, 3).padEnd(3, '0'))) * 1000 + Math.round(Number(`0.${fraction || '0'}`) * 1e6);
}

type PatchValues = Record<string, unknown>;

/** Whether `challenger`'s key beats `holder`'s under a group rule (see GROUP_BEATS: the same comparison). */
function beats(rule: Extract<Rule, { kind: 'group' }>, holder: unknown, challenger: unknown): boolean {
  if (challenger === undefined || challenger === null) return false;
  if (holder === undefined || holder === null) return true;
  const [h, c] = [instant(holder as string), instant(challenger as string)];
  if (rule.wins === 'earliest') return rule.ties === 'first' ? h > c : h >= c;
  return rule.ties === 'first' ? h < c : h <= c;
}

/**
 * Two patches of one dossier folded into one (`a` applied first): {@link MERGE} applied with the result gives what
 * applying `a` then `b` gives, from any row. Rule by rule, from the same {@link RULES} the SQL is compiled from.
 */
function fold(a: FactPatch, b: FactPatch): FactPatch {
  const x = a as unknown as PatchValues;
  const y = b as unknown as PatchValues;
  const out: PatchValues = { ...x };
  // An undefined value is left out of the JSON, which the SQL reads as null: the same as a patch without it.
  const set = (column: string, value: unknown) => {
    out[column] = value;
  };
  if (y['submitted']) out['submitted'] = true;
  for (const r of RULES) {
    switch (r.kind) {
      case 'dimension':
        if (y['submitted']) set(r.column, y[r.column]);
        set(`case_${r.column}`, x[`case_${r.column}`] ?? y[`case_${r.column}`]);
        break;
      case 'submission':
        if (y['submitted']) for (const c of r.columns) set(c, y[c]);
        break;
      case 'flag':
        if (y[r.column] === true) out[r.column] = true;
        break;
      case 'least':
        if (
          y[r.column] != null &&
          (x[r.column] == null || instant(y[r.column] as string) < instant(x[r.column] as string))
        ) {
          out[r.column] = y[r.column];
        }
        break;
      case 'identity':
        set(r.column, y[r.column] === 'REJECTED' ? 'REJECTED' : (x[r.column] ?? y[r.column]));
        break;
      case 'group':
        if (beats(r, x[r.key], y[r.key])) for (const c of [r.key, ...r.columns]) set(c, y[c]);
        break;
    }
  }
  return out as unknown as FactPatch;
}

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

/** One consumed event, with its topic: a set may mix topics. */
export interface TopicEvent<T extends ConsumedTopic = ConsumedTopic> {
  topic: T;
  event: Ev<T>;
}

/**
 * Applies a topic's events to the fact table with `m` (the consumer's flush transaction): see
 * {@link projectMixed}.
 */
export function projectEvents<T extends ConsumedTopic>(
  topic: T,
  events: readonly Ev<T>[],
  m: EntityManager,
): Promise<void> {
  return projectMixed(
    events.map((event) => ({ topic, event })),
    m,
  );
}

/**
 * Applies events of any topics, in the given order, to the fact table with `m` (the consumer's flush transaction;
 * the replay's own), every dossier's events of the set folded into one patch ({@link fold}): one statement creating
 * the rows not seen yet, whole, then one UPDATE of the others, so each fact row is written once per set however
 * many of its events the set holds.
 *
 * No lock is taken beyond the rows themselves: a consumer applies its flushes one after another, so the former
 * global advisory lock (which serialised partition batches applied side by side) guarded nothing any more. Two
 * instances that ever lock the same rows in opposite orders deadlock, and PostgreSQL aborts one: the consumer
 * redoes that flush whole.
 */
export async function projectMixed(events: readonly TopicEvent[], m: EntityManager): Promise<void> {
  if (events.length === 0) return;
  // Each dossier's events of the set folded into one patch, in the set's order.
  const byDossier = new Map<string, FactPatch>();
  for (const { topic, event } of events) {
    const p = (patchers[topic] as (event: Ev<ConsumedTopic>) => FactPatch)(event);
    const held = byDossier.get(p.dossier_id);
    byDossier.set(p.dossier_id, held ? fold(held, p) : p);
  }
  // A dossier seen for the first time gets its row as the patch makes it (merged into a row of nulls), written once;
  // sorted, so concurrent writers of new rows wait on each other's keys in one order. A row that exists already,
  // or that another transaction inserts meanwhile, is left to the UPDATE.
  const patches = [...byDossier.values()].sort((a, b) => (a.dossier_id < b.dossier_id ? -1 : 1));
  const created = await m.query<{ dossier_id: string }[]>(
    `INSERT INTO ${TABLE} (dossier_id, ${MERGED.map(([c]) => c).join(', ')})
     SELECT p.dossier_id, ${MERGED.map(([, value]) => value).join(',\n  ')}
       FROM jsonb_to_recordset($1::jsonb) AS p(${PATCH_RECORD})
       CROSS JOIN jsonb_populate_record(NULL::${TABLE}, '{}') AS f
      ORDER BY p.dossier_id
     ON CONFLICT (dossier_id) DO NOTHING
     RETURNING dossier_id`,
    [JSON.stringify(patches)],
  );
  if (created.length === patches.length) return;
  const fresh = new Set(created.map((r) => r.dossier_id));
  await m.query(
    `UPDATE ${TABLE} AS f SET
  ${MERGE}
     FROM jsonb_to_recordset($1::jsonb) AS p(${PATCH_RECORD})
     WHERE f.dossier_id = p.dossier_id`,
    [JSON.stringify(patches.filter((p) => !fresh.has(p.dossier_id)))],
  );
}
