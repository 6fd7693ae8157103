/**
 * Period buckets of a trend, in Vietnam calendar days (see period.ts). Weeks are ISO weeks (Monday to Sunday),
 * months calendar months; the first and last bucket are clipped to the requested range.
 */
export const trendPeriods = ['day', 'week', 'month'] as const;
export type TrendPeriod = (typeof trendPeriods)[number];

export interface Bucket {
  /** First day of the whole period (a Monday, the 1st of a month), even when the range starts later. */
  period: string;
  /** The days of the range inside this period (inclusive). */
  from: string;
  to: string;
}

/** A trend reads one rates query per bucket: bounded, so one request cannot ask for years of days. */
export const MAX_BUCKETS = 366;

const DAY_MS = 86_400_000;
const toMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => toDay(toMs(day) + n * DAY_MS);

/** First day of the period containing `day`. */
export function periodStart(day: string, period: TrendPeriod): string {
  switch (period) {
    case 'day':
      return day;
    case 'week':
      // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
      return addDays(day, -((new Date(toMs(day)).getUTCDay() + 6) % 7));
    case 'month':
      return `${day.slice(0, 7)}-01`;
  }
}

/** First day of the period after the one starting on `start`. */
function nextPeriod(start: string, period: TrendPeriod): string {
  switch (period) {
    case 'day':
      return addDays(start, 1);
    case 'week':
      return addDays(start, 7);
    case 'month': {
      const d = new Date(toMs(start));
      return toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    }
  }
}

/** How many buckets cover [from, to], without building them. */
export function bucketCount(from: string, to: string, period: TrendPeriod): number {
  if (from > to) return 0;
  switch (period) {
    case 'day':
      return Math.round((toMs(to) - toMs(from)) / DAY_MS) + 1;
    case 'week':
      return Math.round((toMs(periodStart(to, 'week')) - toMs(periodStart(from, 'week'))) / (7 * DAY_MS)) + 1;
    case 'month':
      return (
        (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1
      );
  }
}

/** Consecutive buckets covering [from, to] (inclusive Vietnam days), oldest first. */
export function buckets(from: string, to: string, period: TrendPeriod): Bucket[] {
  const out: Bucket[] = [];
  for (let start = periodStart(from, period); start <= to; start = nextPeriod(start, period)) {
    const end = addDays(nextPeriod(start, period), -1);
    out.push({ period: start, from: start < from ? from : start, to: end > to ? to : end });
  }
  return out;
}

/** The default range ending today: the last 30 days, the last 12 weeks or the last 12 months (whole periods). */
export function defaultRange(today: string, period: TrendPeriod): { from: string; to: string } {
  switch (period) {
    case 'day':
      return { from: addDays(today, -29), to: today };
    case 'week':
      return { from: addDays(periodStart(today, 'week'), -7 * 11), to: today };
    case 'month': {
      const d = new Date(toMs(today));
      return { from: toDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1)), to: today };
    }
  }
}
