import { computeFee, vietnamDate, type FeeExemption, type FeeInput } from './fee';

const rule = (over: Partial<FeeExemption>): FeeExemption => ({
  id: 1,
  provinceCode: '01',
  channel: 'ONLINE',
  procedureCode: null,
  percent: 100,
  validFrom: '2025-07-01',
  validTo: null,
  basis: 'test',
  ...over,
});
const input = (over: Partial<FeeInput> = {}): FeeInput => ({
  feeVnd: 50_000,
  provinceCode: '01',
  channel: 'ONLINE',
  procedureCode: '1.001193',
  submittedAt: new Date('2026-11-26T03:00:00Z'),
  ...over,
});

describe('computeFee', () => {
  it('waives a free procedure as ZERO_FEE, whatever the exemptions', () => {
    expect(computeFee(input({ feeVnd: 0 }), [rule({})])).toEqual({
      kind: 'WAIVED',
      reason: 'ZERO_FEE',
      baseAmountVnd: 0,
      exemption: null,
    });
  });

  it('waives an online submission in a province that exempts online fees', () => {
    const d = computeFee(input(), [rule({ id: 7 })]);
    expect(d).toMatchObject({ kind: 'WAIVED', reason: 'ONLINE_EXEMPTION', baseAmountVnd: 50_000 });
    expect(d.exemption?.id).toBe(7);
  });

  it('charges the full fee in a province without an exemption', () => {
    expect(computeFee(input({ provinceCode: '79' }), [rule({})])).toEqual({
      kind: 'DUE',
      baseAmountVnd: 50_000,
      amountVnd: 50_000,
      exemption: null,
    });
  });

  it('makes the counter channel pay where only online submissions are exempt', () => {
    expect(computeFee(input({ channel: 'COUNTER' }), [rule({})])).toMatchObject({ kind: 'DUE', amountVnd: 50_000 });
  });

  it('applies a 50% reduction, rounding the discount down to whole dong', () => {
    expect(computeFee(input({ feeVnd: 8001 }), [rule({ percent: 50 })])).toMatchObject({
      kind: 'DUE',
      baseAmountVnd: 8001,
      amountVnd: 4001,
    });
  });

  it('applies an exemption only within its validity dates (inclusive, Vietnam local date)', () => {
    const window = [rule({ validFrom: '2026-01-01', validTo: '2026-06-30' })];
    expect(computeFee(input({ submittedAt: new Date('2025-12-31T16:59:59Z') }), window).kind).toBe('DUE');
    // 17:00 UTC on 31 Dec is already 1 Jan in Vietnam.
    expect(computeFee(input({ submittedAt: new Date('2025-12-31T17:00:00Z') }), window).kind).toBe('WAIVED');
    expect(computeFee(input({ submittedAt: new Date('2026-06-30T16:59:59Z') }), window).kind).toBe('WAIVED');
    expect(computeFee(input({ submittedAt: new Date('2026-06-30T17:00:00Z') }), window).kind).toBe('DUE');
  });

  it('honours a procedure-specific rule only for that procedure, and takes the most favourable rule', () => {
    const rules = [rule({ id: 1, percent: 50 }), rule({ id: 2, percent: 100, procedureCode: '2.000001' })];
    expect(computeFee(input(), rules)).toMatchObject({ kind: 'DUE', amountVnd: 25_000 });
    expect(computeFee(input({ procedureCode: '2.000001' }), rules)).toMatchObject({
      kind: 'WAIVED',
      exemption: { id: 2 },
    });
  });

  it('calls a full counter-channel exemption a subject exemption, not an online one', () => {
    expect(computeFee(input({ channel: 'COUNTER' }), [rule({ channel: 'COUNTER' })])).toMatchObject({
      reason: 'SUBJECT_EXEMPTION',
    });
  });

  it('refuses a negative or fractional fee', () => {
    expect(() => computeFee(input({ feeVnd: -1 }), [])).toThrow(RangeError);
    expect(() => computeFee(input({ feeVnd: 1.5 }), [])).toThrow(RangeError);
  });

  it('reads dates in Vietnam time', () => {
    expect(vietnamDate(new Date('2026-11-26T18:00:00Z'))).toBe('2026-11-27');
  });
});
