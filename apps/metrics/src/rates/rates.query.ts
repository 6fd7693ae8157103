import { COUNT_NAMES, computeRates, SATISFIED_FROM_SCORE, zeroCounts, type RateCounts, type Rates } from '@hoso/rates';
import type { DayRange } from './domain/period';

export const groupBys = ['agency', 'province', 'procedure', 'level', 'national'] as const;
export type GroupBy = (typeof groupBys)[number];

const keyColumn: Record<GroupBy, string> = {
  agency: 'agency_code',
  province: 'province_code',
  procedure: 'procedure_code',
  level: 'service_level',
  national: `'VN'`,
};

export interface RateRow {
  key: string;
  counts: RateCounts;
  rates: Rates;
}

export interface RatesQuery {
  groupBy: GroupBy;
  range: DayRange;
  /** "Overdue now" is measured against this instant. */
  now: Date;
  /** Officers see only their agency's dossiers. */
  agencyCode?: string | undefined;
  /** Only the dossiers of one agency, province or procedure (a trend of that one). */
  only?: { groupBy: 'agency' | 'province' | 'procedure'; key: string } | undefined;
}

/** Anything that runs SQL: a DataSource or an EntityManager. */
export interface Sql {
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
}

const MIN_DAY = '0001-01-01';
const MAX_DAY = '9999-12-31';

// Every count by the cohort day of the event that makes it true (see @hoso/rates, libs/rates/src/rates.ts); $1..$2 = the day range.
const inRange = (col: string) => `${col} BETWEEN $1::date AND $2::date`;
const OPEN = `received_at IS NOT NULL AND completed_at IS NULL AND withdrawn_at IS NULL`;
const OVERDUE = `${OPEN} AND due_at < $3`;
const countSql: Record<keyof RateCounts, string> = {
  submitted: inRange('submitted_day'),
  submittedOnline: `${inRange('submitted_day')} AND channel = 'ONLINE'`,
  identityRejected: `${inRange('submitted_day')} AND identity_status = 'REJECTED'`,
  withFee: `${inRange('submitted_day')} AND fee_charged`,
  paidOnline: `${inRange('submitted_day')} AND fee_charged AND paid_online`,
  waived: `${inRange('submitted_day')} AND waived`,
  endToEnd: `${inRange('submitted_day')} AND channel = 'ONLINE' AND service_level = 'FULL' AND (paid_online OR waived) AND result_digital IS TRUE`,
  received: inRange('received_day'),
  receivedCompleted: `${inRange('received_day')} AND completed_at IS NOT NULL`,
  completed: inRange('completed_day'),
  completedOnTime: `${inRange('completed_day')} AND on_time IS TRUE`,
  digitised: `${inRange('completed_day')} AND has_attachments IS TRUE AND result_digital IS TRUE`,
  rated: inRange('rated_day'),
  satisfied: `${inRange('rated_day')} AND rating >= ${SATISFIED_FROM_SCORE}`,
  overdue: OVERDUE,
};

/** Counts and rates per group, aggregated from the per-dossier facts (indexes: one per cohort day, open cases). */
export async function queryRates(db: Sql, q: RatesQuery): Promise<RateRow[]> {
  const params: unknown[] = [q.range.from ?? MIN_DAY, q.range.to ?? MAX_DAY, q.now.toISOString()];
  const scope = q.agencyCode === undefined ? '' : `AND agency_code = $${params.push(q.agencyCode)}`;
  const only = q.only === undefined ? '' : `AND ${keyColumn[q.only.groupBy]} = $${params.push(q.only.key)}`;
  const selects = COUNT_NAMES.map((n) => `count(*) FILTER (WHERE ${countSql[n]})::int AS "${n}"`).join(',\n  ');
  const rows = await db.query<(Record<keyof RateCounts, unknown> & { key: string })[]>(
    `SELECT COALESCE(${keyColumn[q.groupBy]}, 'UNKNOWN') AS key,
       ${selects}
     FROM metrics_dossier_facts
     WHERE (${inRange('submitted_day')} OR ${inRange('received_day')} OR ${inRange('completed_day')}
            OR ${inRange('rated_day')} OR (${OVERDUE})) ${scope} ${only}
     GROUP BY 1 ORDER BY 1`,
    params,
  );
  const out = rows.map((r) => {
    const counts = zeroCounts();
    for (const n of COUNT_NAMES) counts[n] = Number(r[n]);
    return { key: r.key, counts, rates: computeRates(counts) };
  });
  // The national view always has its one row, even before the first dossier.
  if (q.groupBy === 'national' && out.length === 0) {
    out.push({ key: 'VN', counts: zeroCounts(), rates: computeRates(zeroCounts()) });
  }
  return out;
}

/** The national row (an officer's: their agency's totals), as `GET /rates/summary` and the operator stream show it. */
export async function ratesSummary(db: Sql, q: { range: DayRange; now: Date; agencyCode?: string | undefined }) {
  const [row] = await queryRates(db, { groupBy: 'national', range: q.range, now: q.now, agencyCode: q.agencyCode });
  return { ...q.range, asOf: q.now.toISOString(), scope: q.agencyCode ?? 'national', ...(row as RateRow) };
}
