import { COUNT_NAMES, computeRates, RATE_NAMES, RATE_PARTS, ratio, zeroCounts, type RateCounts } from './rates';

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

describe('names', () => {
  it('lists every rate computeRates answers, in its order', () => {
    expect(Object.keys(computeRates(zeroCounts()))).toEqual([...RATE_NAMES]);
  });

  it('starts every named count at zero, and names each count once', () => {
    expect(Object.keys(zeroCounts())).toEqual([...COUNT_NAMES]);
    expect(Object.values(zeroCounts()).every((v) => v === 0)).toBe(true);
    expect(new Set(COUNT_NAMES).size).toBe(COUNT_NAMES.length);
  });

  it('moves each rate with the two counts RATE_PARTS names and with no other count', () => {
    for (const r of RATE_NAMES) {
      const { numerator, denominator } = RATE_PARTS[r];
      const rates = computeRates({ ...zeroCounts(), [numerator]: 1, [denominator]: 2 });
      expect(rates[r]).toBe(0.5);
      // The other rates see at most one of the two counts: 0 (nothing counted) or null (nothing to measure).
      for (const other of RATE_NAMES.filter((o) => RATE_PARTS[o].numerator !== numerator)) {
        expect([0, null]).toContain(rates[other]);
      }
    }
  });
});
