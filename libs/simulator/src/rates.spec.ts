import { defaultSimulatorConfig } from './config';
import {
  compareRates,
  countsDelta,
  expectedRates,
  formatRateTable,
  RATE_COUNTS,
  reportedRates,
  type RateCounts,
} from './rates';

const zero = (): RateCounts => Object.fromEntries(RATE_COUNTS.map((k) => [k, 0])) as RateCounts;

describe('expected rates from the configuration', () => {
  const config = defaultSimulatorConfig();

  it('derives each rate the metrics service reports', () => {
    const e = expectedRates(config, { feeShareOfEndToEndStratum: 0.4, counterShareOfPaidFees: 0.45 });
    expect(e.onlineSubmission.value).toBe(0.7);
    expect(e.endToEnd.value).toBeCloseTo(0.7 * 0.66 * 0.98 * (1 - 0.05 * 0.4), 12);
    expect(e.endToEnd.basis).toContain('0.400 fee-paying share observed');
    // 90 % of the paid counter fees in cash: 0.95 × (1 − 0.9 × 0.45).
    expect(e.onlinePayment.value).toBeCloseTo(0.95 * (1 - 0.9 * 0.45), 12);
    expect(e.onlinePayment.basis).toContain('counterCashShare × 0.450 counter share of the paid fees observed');
    expect(e.onTime.value).toBe(1);
    expect(e.completion.value).toBe(1);
    expect(e.digitisation.value).toBe(0.6845);
    expect(e.satisfaction.value).toBeCloseTo(0.9, 12);
    expect(e.identityRejection.value).toBe(0.02);
  });

  it('without observations, end-to-end assumes nobody had a fee to abandon and nobody paid in cash', () => {
    const e = expectedRates(config, { feeShareOfEndToEndStratum: null, counterShareOfPaidFees: null });
    expect(e.endToEnd.value).toBeCloseTo(0.7 * 0.66 * 0.98, 12);
    expect(e.onlinePayment.value).toBeCloseTo(0.95, 12);
  });

  it('the default configuration expects an online payment rate near 58 % at the platform’s usual counter share', () => {
    // About 43 % of the paid fees are counter dossiers with the seeded exemptions and catalog fees (see the README).
    const e = expectedRates(config, { feeShareOfEndToEndStratum: 0.5, counterShareOfPaidFees: 0.43 });
    expect(e.onlinePayment.value).toBeGreaterThan(0.57);
    expect(e.onlinePayment.value).toBeLessThan(0.6);
  });

  it('counts cash at the counter out of the online payments, in proportion to the counter share and the cash share', () => {
    const at = (counterCashShare: number, counterShareOfPaidFees: number, abandonRate = 0.05) =>
      expectedRates(
        { ...config, payment: { ...config.payment, counterCashShare, abandonRate } },
        { feeShareOfEndToEndStratum: 0.5, counterShareOfPaidFees },
      ).onlinePayment.value;
    // No cash, or no counter dossier among the paid ones: every paid fee is paid online.
    expect(at(0, 0.45)).toBeCloseTo(0.95, 12);
    expect(at(0.9, 0)).toBeCloseTo(0.95, 12);
    // Every counter fee in cash: only the online-filed ones are paid online.
    expect(at(1, 0.45)).toBeCloseTo(0.95 * 0.55, 12);
    expect(at(1, 1, 0)).toBe(0);
    expect(at(0.5, 0.4, 0)).toBeCloseTo(0.8, 12);
    // More cash, fewer online payments.
    expect(at(0.9, 0.45)).toBeLessThan(at(0.5, 0.45));
  });

  it('follows a changed configuration', () => {
    const c = {
      ...config,
      channel: { onlineShare: 0.5 },
      payment: { ...config.payment, abandonRate: 0.2, counterCashShare: 0.5 },
    };
    const e = expectedRates(c, { feeShareOfEndToEndStratum: 1, counterShareOfPaidFees: 0.6 });
    expect(e.onlineSubmission.value).toBe(0.5);
    expect(e.onlinePayment.value).toBeCloseTo(0.8 * (1 - 0.5 * 0.6), 12);
    expect(e.endToEnd.value).toBeCloseTo(0.5 * 0.66 * 0.98 * 0.8, 12);
  });
});

describe('comparison with the metrics counts', () => {
  const config = defaultSimulatorConfig();
  const obs = { feeShareOfEndToEndStratum: 0.4, counterShareOfPaidFees: 40 / 95 };
  const counts: RateCounts = {
    ...zero(),
    submitted: 300,
    submittedOnline: 210,
    identityRejected: 6,
    withFee: 100,
    // 95 paid, 40 of them at a counter, 36 of those in cash.
    paidOnline: 59,
    endToEnd: 133,
    received: 280,
    receivedCompleted: 280,
    completed: 280,
    completedOnTime: 280,
    digitised: 191,
    rated: 140,
    satisfied: 126,
  };

  it('applies the metrics definitions', () => {
    const r = reportedRates(counts);
    expect(r.onlineSubmission).toBe(0.7);
    expect(r.onlinePayment).toBe(0.59);
    expect(r.digitisation).toBeCloseTo(191 / 280, 12);
    expect(r.satisfaction).toBe(0.9);
    expect(reportedRates(zero()).satisfaction).toBeNull();
  });

  it('says which rates are within the tolerance, in points', () => {
    const rows = compareRates(config, counts, obs);
    expect(rows.map((r) => r.rate)).toEqual([
      'onlineSubmission',
      'endToEnd',
      'onlinePayment',
      'onTime',
      'completion',
      'digitisation',
      'satisfaction',
      'identityRejection',
    ]);
    expect(rows.every((r) => r.withinTolerance)).toBe(true);
    // Cash counted as an online payment would show: 36 points above the expectation.
    const cashOnline = compareRates(config, { ...counts, paidOnline: 95 }, obs).find((r) => r.rate === 'onlinePayment');
    expect(cashOnline?.differencePoints).toBeCloseTo(36, 6);
    expect(cashOnline?.withinTolerance).toBe(false);
    const off = compareRates(config, { ...counts, submittedOnline: 200 }, obs);
    const online = off.find((r) => r.rate === 'onlineSubmission');
    expect(online?.differencePoints).toBeCloseTo(-3.333, 2);
    expect(online?.withinTolerance).toBe(false);
    // Exactly 2 points off is still within ±2.
    const edge = compareRates(config, { ...counts, submittedOnline: 216 }, obs);
    expect(edge.find((r) => r.rate === 'onlineSubmission')?.withinTolerance).toBe(true);
    // Nothing to measure is not agreement.
    const none = compareRates(config, { ...counts, rated: 0, satisfied: 0 }, obs);
    expect(none.find((r) => r.rate === 'satisfaction')).toMatchObject({ reported: null, withinTolerance: false });
  });

  it('counts only what happened after the first reading', () => {
    const before = { ...zero(), submitted: 10, completed: 4 };
    expect(countsDelta({ ...counts }, before)).toMatchObject({ submitted: 290, completed: 276, rated: 140 });
  });

  it('prints a table', () => {
    const table = formatRateTable(compareRates(config, counts, obs), 2);
    expect(table.split('\n')).toHaveLength(9);
    expect(table).toMatch(/onlineSubmission\s+70\.00 %\s+70\.00 %\s+\+0\.00\s+yes/);
  });
});
