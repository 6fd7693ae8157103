import { isDay, vnDay, vnMonthOf } from './period';

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
