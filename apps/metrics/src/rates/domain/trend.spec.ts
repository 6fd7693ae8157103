import { bucketCount, buckets, defaultRange, periodStart } from './trend';

describe('trend buckets (Vietnam days)', () => {
  it('starts weeks on Monday and months on the 1st', () => {
    expect(periodStart('2025-11-20', 'week')).toBe('2025-11-17'); // a Thursday
    expect(periodStart('2025-11-17', 'week')).toBe('2025-11-17');
    expect(periodStart('2025-11-23', 'week')).toBe('2025-11-17'); // Sunday ends the ISO week
    expect(periodStart('2026-01-01', 'week')).toBe('2025-12-29');
    expect(periodStart('2025-11-20', 'month')).toBe('2025-11-01');
    expect(periodStart('2025-11-20', 'day')).toBe('2025-11-20');
  });

  it('covers the range with consecutive buckets clipped at both ends', () => {
    expect(buckets('2025-11-20', '2025-12-02', 'week')).toEqual([
      { period: '2025-11-17', from: '2025-11-20', to: '2025-11-23' },
      { period: '2025-11-24', from: '2025-11-24', to: '2025-11-30' },
      { period: '2025-12-01', from: '2025-12-01', to: '2025-12-02' },
    ]);
    expect(buckets('2024-01-31', '2024-03-05', 'month')).toEqual([
      { period: '2024-01-01', from: '2024-01-31', to: '2024-01-31' },
      { period: '2024-02-01', from: '2024-02-01', to: '2024-02-29' },
      { period: '2024-03-01', from: '2024-03-01', to: '2024-03-05' },
    ]);
    expect(buckets('2025-12-30', '2026-01-02', 'day').map((b) => b.period)).toEqual([
      '2025-12-30',
      '2025-12-31',
      '2026-01-01',
      '2026-01-02',
    ]);
  });

  it('counts buckets exactly as it builds them', () => {
    for (const [from, to] of [
      ['2025-11-20', '2025-12-02'],
      ['2024-01-31', '2025-03-05'],
      ['2025-01-01', '2025-01-01'],
      ['2023-12-25', '2024-01-07'],
    ] as const) {
      for (const p of ['day', 'week', 'month'] as const)
        expect(bucketCount(from, to, p)).toBe(buckets(from, to, p).length);
    }
    expect(bucketCount('2025-02-01', '2025-01-01', 'day')).toBe(0);
  });

  it('defaults to the last 30 days, 12 weeks or 12 months', () => {
    expect(defaultRange('2025-11-20', 'day')).toEqual({ from: '2025-10-22', to: '2025-11-20' });
    expect(buckets('2025-10-22', '2025-11-20', 'day')).toHaveLength(30);
    expect(defaultRange('2025-11-20', 'week')).toEqual({ from: '2025-09-01', to: '2025-11-20' });
    expect(buckets('2025-09-01', '2025-11-20', 'week')).toHaveLength(12);
    expect(defaultRange('2025-11-20', 'month')).toEqual({ from: '2024-12-01', to: '2025-11-20' });
    expect(buckets('2024-12-01', '2025-11-20', 'month')).toHaveLength(12);
  });
});
