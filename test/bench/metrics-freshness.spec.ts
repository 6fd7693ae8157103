import { staleness } from './metrics-freshness';

describe('metrics staleness of one sample', () => {
  const submitted = [1_000, 3_000, 2_000, 4_000]; // arrival order is not time order

  it('is the age of the earliest submission beyond what the API counts', () => {
    expect(staleness(0, submitted, 10_000)).toBe(9_000);
    expect(staleness(2, submitted, 10_000)).toBe(7_000); // counts 1,000 and 2,000; 3,000 is missing
    expect(staleness(3, submitted, 4_500)).toBe(500);
  });

  it('is 0 when the API counts all the tap has seen, or more (the tap may lag behind it)', () => {
    expect(staleness(4, submitted, 10_000)).toBe(0);
    expect(staleness(9, submitted, 10_000)).toBe(0);
    expect(staleness(0, [], 10_000)).toBe(0);
  });

  it('never goes below 0 for a submission stamped after the sample', () => {
    expect(staleness(0, [12_000], 10_000)).toBe(0);
  });
});
