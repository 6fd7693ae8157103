import { computeRates, ratio, zeroCounts, type RateCounts } from './rates';
import { isDay, vnDay, vnMonthOf } from './period';

const counts = (over: Partial<RateCounts>): RateCounts => ({ ...zeroCounts(), ...over });

describe('rate arithmetic', () => {
  it('computes each rate from its own numerator and denominator', () => {
    const r = computeRates(
      counts({
        submitted: 8,
        submittedOnline: 6,
        withFee: 4,
        paidOnline: 3,
        endToEnd: 2,
        received: 5,
        receivedCompleted: 4,
        completed: 4,
        completedOnTime: 3,
        digitised: 1,
        rated: 4,
        satisfied: 3,
      }),
    );
    expect(r).toEqual({
      completion: 0.8,
      onTime: 0.75,
      endToEnd: 0.25,
      onlineSubmission: 0.75,
      onlinePayment: 0.75,
      digitisation: 0.25,
      satisfaction: 0.75,
    });
  });

  it('answers null, never 0 or NaN, when a denominator is zero', () => {
    expect(computeRates(zeroCounts())).toEqual({
      completion: null,
      onTime: null,
      endToEnd: null,
      onlineSubmission: null,
      onlinePayment: null,
      digitisation: null,
      satisfaction: null,
    });
    const r = computeRates(counts({ submitted: 2, submittedOnline: 0 }));
    expect(r.onlineSubmission).toBe(0);
    expect(r.onlinePayment).toBeNull();
  });

  it('refuses a numerator larger than its denominator (a projection bug, not a 120 % rate)', () => {
    expect(() => ratio(3, 2)).toThrow(RangeError);
    expect(ratio(2, 2)).toBe(1);
  });
});

describe('Vietnam days and periods', () => {
  it('puts an instant on its Asia/Ho_Chi_Minh calendar day', () => {
    expect(vnDay('2026-11-30T16:59:59.999Z')).toBe('2026-11-30');
    expect(vnDay('2026-11-30T17:00:00.000Z')).toBe('2026-12-01');
    expect(vnDay('2026-12-01T00:30:00+07:00')).toBe('2026-12-01');
    expect(vnDay(new Date('2026-12-31T23:59:00+07:00'))).toBe('2026-12-31');
  });

  it('bounds the current month in Vietnam time, across a year end', () => {
    // 31 Dec 18:00 UTC is already 1 January in Hanoi.
    expect(vnMonthOf(new Date('2026-12-31T18:00:00Z'))).toEqual({
      fromDay: '2027-01-01',
      toDay: '2027-01-31',
      from: '2027-01-01T00:00:00.000+07:00',
      to: '2027-02-01T00:00:00.000+07:00',
    });
    expect(vnMonthOf(new Date('2028-02-10T00:00:00Z')).toDay).toBe('2028-02-29');
    expect(vnMonthOf(new Date('2026-12-31T16:59:00Z')).fromDay).toBe('2026-12-01');
  });

  it('accepts only real calendar days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-30')).toBe(false);
    expect(isDay('2026-2-3')).toBe(false);
  });
});
