import { METRICS } from '../api/operator-api';
import { PERIODS, SCOPES, type Period, type Scope } from '../api/types';
import { query } from '../ui/useApi';
import { daysBefore, isDay } from './rates-format';

/** The rates page's filters, kept in the address so a view can be bookmarked and shared. */
export interface RatesFilter {
  scope: Scope;
  /** One agency, province or procedure; empty = every one of the scope. */
  code: string;
  period: Period;
  from: string;
  to: string;
}

export const DEFAULT_RANGE_DAYS = 30;
/** The server computes one bucket per day of a daily trend and refuses more than this many. */
export const MAX_TREND_BUCKETS = 366;

export function defaultFilter(today: string): RatesFilter {
  return { scope: 'national', code: '', period: 'day', from: daysBefore(today, DEFAULT_RANGE_DAYS - 1), to: today };
}

/** Reads the filters from the address; anything missing or unknown takes its default. */
export function filterFromParams(params: URLSearchParams, today: string): RatesFilter {
  const d = defaultFilter(today);
  const scope = params.get('scope');
  const period = params.get('period');
  const validScope = (SCOPES as readonly string[]).includes(scope ?? '') ? (scope as Scope) : d.scope;
  return {
    scope: validScope,
    code: validScope === 'national' ? '' : (params.get('code') ?? '').trim(),
    period: (PERIODS as readonly string[]).includes(period ?? '') ? (period as Period) : d.period,
    from: params.get('from') ?? d.from,
    to: params.get('to') ?? d.to,
  };
}

export function filterToParams(f: RatesFilter): Record<string, string> {
  return {
    scope: f.scope,
    ...(f.code && f.scope !== 'national' ? { code: f.code } : {}),
    period: f.period,
    from: f.from,
    to: f.to,
  };
}

/** Problems with the filters, as i18n keys of the `operator` namespace (empty = valid). */
export function filterProblems(f: RatesFilter): string[] {
  const problems: string[] = [];
  if (!isDay(f.from)) problems.push('filters.problem.from');
  if (!isDay(f.to)) problems.push('filters.problem.to');
  if (isDay(f.from) && isDay(f.to) && f.from > f.to) problems.push('filters.problem.order');
  if (isDay(f.from) && isDay(f.to) && f.period === 'day' && daysBetween(f.from, f.to) + 1 > MAX_TREND_BUCKETS) {
    problems.push('filters.problem.tooLong');
  }
  return problems;
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** Rates per member of the scope (one national row for `national`). */
export function ratesPath(f: RatesFilter): string {
  return `${METRICS}/rates${query({ groupBy: f.scope, from: f.from, to: f.to })}`;
}

/** The trend of the whole scope's chosen member, or the national trend. Null when a member must be chosen. */
export function trendPath(f: RatesFilter): string | null {
  if (f.scope !== 'national' && !f.code) return null;
  return `${METRICS}/rates/trend${query({
    scope: f.scope,
    code: f.scope === 'national' ? null : f.code,
    period: f.period,
    from: f.from,
    to: f.to,
  })}`;
}
