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
    const e = expectedRates(config, { feeShareOfEndToEndStratum: 0.4 });
    expect(e.onlineSubmission.value).toBe(0.7);
    expect(e.endToEnd.value).toBeCloseTo(0.7 * 0.66 * 0.98 * (1 - 0.05 * 0.4), 12);
    expect(e.endToEnd.basis).toContain('0.400 fee-paying share observed');
    expect(e.onlinePayment.value).toBeCloseTo(0.95, 12);
    expect(e.onTime.value).toBe(1);
    expect(e.completion.value).toBe(1);
    expect(e.digitisation.value).toBe(0.6845);
    expect(e.satisfaction.value).toBeCloseTo(0.9, 12);
    expect(e.identityRejection.value).toBe(0.02);
  });

  it('without an observed fee share, end-to-end assumes nobody had a fee to abandon', () => {
    expect(expectedRates(config, { feeShareOfEndToEndStratum: null }).endToEnd.value).toBeCloseTo(
      0.7 * 0.66 * 0.98,
      12,
    );
  });

  it('follows a changed configuration', () => {
    const c = { ...config, channel: { onlineShare: 0.5 }, payment: { ...config.payment, abandonRate: 0.2 } };
    const e = expectedRates(c, { feeShareOfEndToEndStratum: 1 });
    expect(e.onlineSubmission.value).toBe(0.5);
    expect(e.onlinePayment.value).toBeCloseTo(0.8, 12);
    expect(e.endToEnd.value).toBeCloseTo(0.5 * 0.66 * 0.98 * 0.8, 12);
  });
});

describe('comparison with the metrics counts', () => {
  const config = defaultSimulatorConfig();
  const counts: RateCounts = {
    ...zero(),
    submitted: 300,
    submittedOnline: 210,
    identityRejected: 6,
    withFee: 100,
    paidOnline: 95,
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
    expect(r.onlinePayment).toBe(0.95);
    expect(r.digitisation).toBeCloseTo(191 / 280, 12);
    expect(r.satisfaction).toBe(0.9);
    expect(reportedRates(zero()).satisfaction).toBeNull();
  });

  it('says which rates are within the tolerance, in points', () => {
    const rows = compareRates(config, counts, { feeShareOfEndToEndStratum: 0.4 });
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
    const off = compareRates(config, { ...counts, submittedOnline: 200 }, { feeShareOfEndToEndStratum: 0.4 });
    const online = off.find((r) => r.rate === 'onlineSubmission');
    expect(online?.differencePoints).toBeCloseTo(-3.333, 2);
    expect(online?.withinTolerance).toBe(false);
    // Exactly 2 points off is still within ±2.
    const edge = compareRates(config, { ...counts, submittedOnline: 216 }, { feeShareOfEndToEndStratum: 0.4 });
    expect(edge.find((r) => r.rate === 'onlineSubmission')?.withinTolerance).toBe(true);
    // Nothing to measure is not agreement.
    const none = compareRates(config, { ...counts, rated: 0, satisfied: 0 }, { feeShareOfEndToEndStratum: 0.4 });
    expect(none.find((r) => r.rate === 'satisfaction')).toMatchObject({ reported: null, withinTolerance: false });
  });

  it('counts only what happened after the first reading', () => {
    const before = { ...zero(), submitted: 10, completed: 4 };
    expect(countsDelta({ ...counts }, before)).toMatchObject({ submitted: 290, completed: 276, rated: 140 });
  });

  it('prints a table', () => {
    const table = formatRateTable(compareRates(config, counts, { feeShareOfEndToEndStratum: 0.4 }), 2);
    expect(table.split('\n')).toHaveLength(9);
    expect(table).toMatch(/onlineSubmission\s+70\.00 %\s+70\.00 %\s+\+0\.00\s+yes/);
  });
});
