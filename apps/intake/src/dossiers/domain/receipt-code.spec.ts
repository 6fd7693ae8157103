import { formatReceiptCode, isReceiptCode, vietnamDay } from './receipt-code';

describe('receipt code', () => {
  it('is <agency>-<yyMMdd>-<6-digit sequence>', () => {
    expect(formatReceiptCode('P79', new Date('2026-11-26T03:00:00Z'), 42)).toBe('P79-261126-000042');
    expect(formatReceiptCode('C00070', new Date('2026-01-05T03:00:00Z'), 999_999)).toBe('C00070-260105-999999');
  });

  it('uses the Vietnamese day (UTC+7), not the UTC day', () => {
    // 18:30 UTC on 25 Nov is 01:30 on 26 Nov in Hà Nội.
    expect(vietnamDay(new Date('2026-11-25T18:30:00Z'))).toBe('2026-11-26');
    expect(formatReceiptCode('BCA', new Date('2026-11-25T18:30:00Z'), 1)).toBe('BCA-261126-000001');
    expect(vietnamDay(new Date('2026-11-25T16:59:59Z'))).toBe('2026-11-25');
  });

  it('refuses sequences outside 1..999999', () => {
    expect(() => formatReceiptCode('P01', new Date(), 0)).toThrow(RangeError);
    expect(() => formatReceiptCode('P01', new Date(), 1_000_000)).toThrow(RangeError);
    expect(() => formatReceiptCode('P01', new Date(), 1.5)).toThrow(RangeError);
  });

  it('recognises its own shape', () => {
    expect(isReceiptCode('P79-261126-000042')).toBe(true);
    expect(isReceiptCode('BNNMT-261126-000001')).toBe(true);
    expect(isReceiptCode('P79-2611-000042')).toBe(false);
    expect(isReceiptCode("P79-261126-000042' OR 1=1")).toBe(false);
  });
});
