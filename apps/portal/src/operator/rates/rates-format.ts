import { formatNumber, formatPercent } from '../../i18n/format';
import type { Language } from '../../i18n';
import { RATE_PARTS, zeroCounts } from '@hoso/rates';
import { RATE_NAMES, type RateCounts, type RateName, type RateRow, type Rates } from '../api/types';

/** Which counts each rate divides (the shared definition): shown beside the percentage so a rate over 3 dossiers
 *  is not mistaken for one over 3,000. */
export { RATE_PARTS };

export interface RateCell {
  percent: string;
  fraction: string;
  /** For screen readers: "78.6% (11 of 14)". */
  value: number | null;
}

export function rateCell(name: RateName, row: Pick<RateRow, 'counts' | 'rates'>, lang: Language): RateCell {
  const { numerator, denominator } = RATE_PARTS[name];
  const value = row.rates[name];
  return {
    percent: formatPercent(value, lang),
    fraction: `${formatNumber(row.counts[numerator], lang)}/${formatNumber(row.counts[denominator], lang)}`,
    value,
  };
}

/** Unlike the service's `ratio`, never throws: a screen shows what it was sent, even inconsistent sums. */
function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

/** Counts summed over rows and rates recomputed from the sums (averaging percentages would weigh a small agency
 *  like a large one). Every dossier is in exactly one row of a grouping, so the sums are the whole. */
export function totalRow(rows: readonly RateRow[]): RateRow {
  const counts: RateCounts = zeroCounts();
  for (const row of rows) {
    for (const k of Object.keys(counts) as (keyof RateCounts)[]) counts[k] += row.counts[k];
  }
  const rates = Object.fromEntries(
    RATE_NAMES.map((r) => [r, ratio(counts[RATE_PARTS[r].numerator], counts[RATE_PARTS[r].denominator])]),
  ) as Rates;
  return { key: 'TOTAL', counts, rates };
}

/** Today's calendar day in Vietnam (UTC+7 all year), YYYY-MM-DD. */
export function vnToday(now: number = Date.now()): string {
  return new Date(now + 7 * 3600_000).toISOString().slice(0, 10);
}

/** The day `days` before `day` (YYYY-MM-DD). */
export function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export function isDay(s: string): boolean {
  return (
    DAY.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)
  );
}
