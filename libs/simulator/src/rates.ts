/**
 * The rates the metrics service reports (@hoso/rates, libs/rates/src/rates.ts; apps/metrics rates.query.ts), what
 * the configuration makes them expected to be, and the comparison of the two.
 *
 * Each reported rate is recomputed here from the difference between two readings of `GET /rates/summary` (before
 * and after the run), so dossiers of earlier runs on the same platform do not blur this run's figures.
 */
import {
  COUNT_NAMES,
  SATISFIED_FROM_SCORE,
  type CountName,
  type RateCounts as MetricsRateCounts,
  type RateName as MetricsRateName,
} from '@hoso/rates';
import { scoreShareAtLeast, type SimulatorConfig } from './config';

/** A count that two readings can be subtracted for: every count but `overdue`, a state at query time. */
export type RunCountName = Exclude<CountName, 'overdue'>;

/** The counts of `GET /rates/summary` the rates are made of. */
export const RATE_COUNTS: readonly RunCountName[] = COUNT_NAMES.filter((n): n is RunCountName => n !== 'overdue');
export type RateCounts = Omit<MetricsRateCounts, 'overdue'>;

/** The metrics service's rates, and one only the simulator measures (identityRejected / submitted). */
export type RateName = MetricsRateName | 'identityRejection';

/** What the run observed that the configuration cannot know: the platform's own fee and exemption data. */
export interface RunObservations {
  /**
   * Of the online, fully online (FULL), identity-verified dossiers, the share the payment service charged a fee
   * (the others were free or exempted); null when there was none.
   */
  feeShareOfEndToEndStratum: number | null;
  /**
   * Of the dossiers charged a fee that the citizen paid (not abandoned), the share filed at a counter — which of
   * them is charged depends on the platform's fee and exemption data (online fees are exempted in some provinces);
   * null when there was none.
   */
  counterShareOfPaidFees: number | null;
}

export interface RateComparison {
  rate: RateName;
  /** From the configuration (and, for endToEnd, the observed fee share). */
  expected: number;
  /** From the metrics service's counts for this run; null when its denominator is zero. */
  reported: number | null;
  /** reported − expected, in percentage points. */
  differencePoints: number | null;
  withinTolerance: boolean;
  /** How the expected value follows from the configuration. */
  basis: string;
}

/**
 * Unlike @hoso/rates' `ratio`, never throws: a difference of two readings may count, say, a completion of a case
 * received before the first reading without its reception, so a numerator above its denominator is possible here.
 */
function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null;
}

/** The metrics service's definitions (@hoso/rates `computeRates`), applied to counts. */
export function reportedRates(c: RateCounts): Record<RateName, number | null> {
  return {
    onlineSubmission: ratio(c.submittedOnline, c.submitted),
    endToEnd: ratio(c.endToEnd, c.submitted),
    onlinePayment: ratio(c.paidOnline, c.withFee),
    onTime: ratio(c.completedOnTime, c.completed),
    completion: ratio(c.receivedCompleted, c.received),
    digitisation: ratio(c.digitised, c.completed),
    satisfaction: ratio(c.satisfied, c.rated),
    identityRejection: ratio(c.identityRejected, c.submitted),
  };
}

/** The expected value of each rate and how it follows from the configuration. */
export function expectedRates(
  config: SimulatorConfig,
  obs: RunObservations,
): Record<RateName, { value: number; basis: string }> {
  const online = config.channel.onlineShare;
  const full = config.procedures.fullyOnlineShare;
  const idFail = config.identity.failureRate;
  const abandon = config.payment.abandonRate;
  const cash = config.payment.counterCashShare;
  const q = obs.feeShareOfEndToEndStratum ?? 0;
  const c = obs.counterShareOfPaidFees ?? 0;
  return {
    onlineSubmission: { value: online, basis: 'channel.onlineShare' },
    endToEnd: {
      value: online * full * (1 - idFail) * (1 - abandon * q),
      basis:
        `onlineShare × fullyOnlineShare × (1 − identity.failureRate) × (1 − abandonRate × ${q.toFixed(3)} ` +
        `fee-paying share observed)`,
    },
    onlinePayment: {
      // Paid online = paid − paid in cash; the cash quota runs among the paid counter dossiers (c of the paid ones).
      value: (1 - abandon) * (1 - cash * c),
      basis:
        `(1 − payment.abandonRate) × (1 − counterCashShare × ${c.toFixed(3)} counter share of the paid fees ` +
        `observed); declines are paid again`,
    },
    onTime: { value: 1, basis: 'officers finish within the statutory time (think times are seconds, not days)' },
    completion: { value: 1, basis: 'after the drain every received case is completed (withdrawals come before)' },
    digitisation: {
      value: config.documents.attachmentShare,
      basis: 'documents.attachmentShare (every result is digital)',
    },
    satisfaction: {
      value: scoreShareAtLeast(config, SATISFIED_FROM_SCORE),
      basis: `share of scores ≥ ${SATISFIED_FROM_SCORE} in rating.scores`,
    },
    identityRejection: { value: idFail, basis: 'identity.failureRate (identityRejected / submitted)' },
  };
}

export function compareRates(config: SimulatorConfig, counts: RateCounts, obs: RunObservations): RateComparison[] {
  const expected = expectedRates(config, obs);
  const reported = reportedRates(counts);
  return (Object.keys(expected) as RateName[]).map((rate) => {
    const e = expected[rate];
    const r = reported[rate];
    const differencePoints = r === null ? null : (r - e.value) * 100;
    return {
      rate,
      expected: e.value,
      reported: r,
      differencePoints,
      // A hair of slack: 0.3 − 0.28 is 2.0000000000000018 points in floating point.
      withinTolerance: differencePoints !== null && Math.abs(differencePoints) <= config.tolerancePoints + 1e-9,
      basis: e.basis,
    };
  });
}

/** Counts after − before (the run's own). */
export function countsDelta(after: RateCounts, before: RateCounts): RateCounts {
  return Object.fromEntries(RATE_COUNTS.map((k) => [k, after[k] - before[k]])) as RateCounts;
}

/** The comparison as a fixed-width table for a terminal. */
export function formatRateTable(rows: RateComparison[], tolerancePoints: number): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);
  const lines = [
    `${'rate'.padEnd(18)}${'configured'.padStart(12)}${'reported'.padStart(12)}${'Δ points'.padStart(10)}  within ±${tolerancePoints}`,
  ];
  for (const r of rows) {
    const diff =
      r.differencePoints === null ? '—' : `${r.differencePoints >= 0 ? '+' : ''}${r.differencePoints.toFixed(2)}`;
    lines.push(
      `${r.rate.padEnd(18)}${pct(r.expected).padStart(12)}${pct(r.reported).padStart(12)}${diff.padStart(10)}  ${r.withinTolerance ? 'yes' : 'NO'}`,
    );
  }
  return lines.join('\n');
}
