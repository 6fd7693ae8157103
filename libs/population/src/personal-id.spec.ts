import {
  CURRENT_PROVINCES,
  currentProvince,
  formatPersonalId,
  isValidPersonalId,
  LEGACY_PROVINCES,
  legacyProvince,
  parsePersonalId,
} from './personal-id';

const asOf = new Date('2026-06-01T00:00:00Z');

/** The error of a failed parse; undefined (failing the assertion that follows) if it succeeded. */
function errorOf(result: ReturnType<typeof parsePersonalId>): string | undefined {
  return result.ok ? undefined : result.error;
}

describe('province tables', () => {
  it('lists the 63 legacy provinces with unique 2-digit codes', () => {
    expect(LEGACY_PROVINCES).toHaveLength(63);
    expect(new Set(LEGACY_PROVINCES.map((p) => p.code)).size).toBe(63);
    for (const p of LEGACY_PROVINCES) expect(p.code).toMatch(/^\d{2}$/);
    expect(legacyProvince('01')?.name).toBe('Hà Nội');
    expect(legacyProvince('02')?.name).toBe('Hà Giang');
    expect(legacyProvince('04')?.name).toBe('Cao Bằng');
    expect(legacyProvince('79')?.name).toBe('Hồ Chí Minh');
    expect(legacyProvince('96')?.name).toBe('Cà Mau');
  });

  it('lists the 34 current units, each coded with the old code of one of its own members', () => {
    expect(CURRENT_PROVINCES).toHaveLength(34);
    expect(CURRENT_PROVINCES.filter((p) => p.kind === 'city')).toHaveLength(6);
    for (const current of CURRENT_PROVINCES) {
      const members = LEGACY_PROVINCES.filter((p) => p.currentCode === current.code);
      expect(members.map((p) => p.code)).toContain(current.code);
      expect(current.population).toBe(members.reduce((sum, p) => sum + p.population, 0));
    }
    for (const p of LEGACY_PROVINCES) expect(currentProvince(p.currentCode)).toBeDefined();
  });

  it('maps merged provinces to the unit that absorbed them and keeps the 11 unchanged ones', () => {
    const currentOf = (code: string) => legacyProvince(code)?.currentCode;
    expect(currentOf('02')).toBe('08'); // Hà Giang → Tuyên Quang
    expect(currentOf('06')).toBe('19'); // Bắc Kạn → Thái Nguyên
    expect(currentOf('67')).toBe('68'); // Đắk Nông → Lâm Đồng
    expect(currentOf('60')).toBe('68'); // Bình Thuận → Lâm Đồng
    expect(currentOf('74')).toBe('79'); // Bình Dương → TP HCM
    expect(currentOf('77')).toBe('79'); // Bà Rịa - Vũng Tàu → TP HCM
    expect(currentOf('93')).toBe('92'); // Hậu Giang → Cần Thơ
    expect(currentOf('94')).toBe('92'); // Sóc Trăng → Cần Thơ
    expect(currentOf('49')).toBe('48'); // Quảng Nam → Đà Nẵng
    expect(currentOf('30')).toBe('31'); // Hải Dương → Hải Phòng
    const unchanged = CURRENT_PROVINCES.filter(
      (c) => LEGACY_PROVINCES.filter((p) => p.currentCode === c.code).length === 1,
    );
    expect(unchanged.map((p) => p.name).sort()).toEqual(
      [
        'Hà Nội',
        'Huế',
        'Lai Châu',
        'Điện Biên',
        'Sơn La',
        'Lạng Sơn',
        'Quảng Ninh',
        'Thanh Hóa',
        'Nghệ An',
        'Hà Tĩnh',
        'Cao Bằng',
      ].sort(),
    );
  });

  it('adds up to a national population of about 100 million', () => {
    const total = CURRENT_PROVINCES.reduce((sum, p) => sum + p.population, 0);
    expect(total).toBeGreaterThan(95_000_000);
    expect(total).toBeLessThan(105_000_000);
  });
});

describe('parsePersonalId', () => {
  it('decodes province, gender and birth year', () => {
    expect(parsePersonalId('033099000123', asOf)).toEqual({
      ok: true,
      value: { provinceCode: '33', gender: 'male', birthYear: 1999, serial: '000123' },
    });
    expect(parsePersonalId('079301987654', asOf)).toEqual({
      ok: true,
      value: { provinceCode: '79', gender: 'female', birthYear: 2001, serial: '987654' },
    });
    expect(parsePersonalId('001100000000', asOf)).toMatchObject({
      ok: true,
      value: { gender: 'female', birthYear: 1900 },
    });
  });

  it.each([
    ['too short', '03309900012', /12 digits/],
    ['too long', '0330990001234', /12 digits/],
    ['not digits', '03309900012a', /12 digits/],
    ['empty', '', /12 digits/],
  ])('refuses an ID that is %s', (_, id, message) => {
    const result = parsePersonalId(id, asOf);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('refuses an unknown province code', () => {
    for (const id of ['003099000123', '099099000123', '101099000123', '000099000123']) {
      expect(errorOf(parsePersonalId(id, asOf))).toMatch(/unknown province code '\d{3}'/);
    }
  });

  it('refuses a century digit that stands for a birth after today', () => {
    for (const [digit, century] of [
      ['4', '2100–2199'],
      ['5', '2100–2199'],
      ['7', '2200–2299'],
      ['8', '2300–2399'],
      ['9', '2300–2399'],
    ] as const) {
      const error = errorOf(parsePersonalId(`001${digit}99000123`, asOf));
      expect(error).toContain(`bad century digit ${digit}`);
      expect(error).toContain(century);
    }
  });

  it('refuses a birth year in the future within the current century', () => {
    expect(errorOf(parsePersonalId('001230000123', asOf))).toMatch(/2030.*future/);
    expect(parsePersonalId('001226000123', asOf).ok).toBe(true);
  });

  it('never repeats the ID in an error message', () => {
    const result = parsePersonalId('003099000123', asOf);
    expect(result.ok || result.error.includes('003099000123')).toBe(false);
  });
});

describe('isValidPersonalId', () => {
  it('checks the format alone without a birth date', () => {
    expect(isValidPersonalId('033099000123')).toBe(true);
    expect(isValidPersonalId('033099')).toBe(false);
  });

  it('checks the century and year digits against the birth date', () => {
    expect(isValidPersonalId('033099000123', '1999-04-30')).toBe(true);
    expect(isValidPersonalId('033099000123', '1998-04-30')).toBe(false);
    expect(isValidPersonalId('001203000001', '2003-05-05')).toBe(true);
    expect(isValidPersonalId('001003000001', '2003-05-05')).toBe(false); // 1903, not 2003
    expect(isValidPersonalId('001303000001', '2003-05-05')).toBe(true);
  });

  it('checks the gender digit when a gender is given', () => {
    expect(isValidPersonalId('033099000123', '1999-04-30', 'male')).toBe(true);
    expect(isValidPersonalId('033099000123', '1999-04-30', 'female')).toBe(false);
    expect(isValidPersonalId('079301987654', undefined, 'female')).toBe(true);
  });

  it('treats a malformed or impossible birth date as a mismatch', () => {
    expect(isValidPersonalId('001203000001', '2003-02-30')).toBe(false);
    expect(isValidPersonalId('001203000001', '05/05/2003')).toBe(false);
  });
});

describe('formatPersonalId', () => {
  it('round-trips with parsePersonalId', () => {
    const cases = [
      { provinceCode: '01', gender: 'male', birthYear: 1900, serial: '000000' },
      { provinceCode: '79', gender: 'female', birthYear: 1999, serial: '123456' },
      { provinceCode: '96', gender: 'male', birthYear: 2005, serial: '999999' },
      { provinceCode: '46', gender: 'female', birthYear: 2026, serial: '000042' },
    ] as const;
    for (const parts of cases) {
      const id = formatPersonalId(parts);
      expect(id).toMatch(/^\d{12}$/);
      expect(parsePersonalId(id, asOf)).toEqual({ ok: true, value: parts });
    }
    for (const id of ['033099000123', '079301987654', '001100000000']) {
      const parsed = parsePersonalId(id, asOf);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(formatPersonalId(parsed.value)).toBe(id);
    }
  });

  it('accepts the 3-digit province form and a numeric serial', () => {
    expect(formatPersonalId({ provinceCode: '001', gender: 'female', birthYear: 2010, serial: 42 })).toBe(
      '001310000042',
    );
  });

  it('refuses parts no valid ID could carry', () => {
    const base = { provinceCode: '01', gender: 'male', birthYear: 1990, serial: '000001' } as const;
    expect(() => formatPersonalId({ ...base, provinceCode: '03' })).toThrow(RangeError);
    expect(() => formatPersonalId({ ...base, birthYear: 1899 })).toThrow(/1900–2399/);
    expect(() => formatPersonalId({ ...base, serial: '12345' })).toThrow(/serial/);
    expect(() => formatPersonalId({ ...base, serial: 1_000_000 })).toThrow(/serial/);
    expect(() => formatPersonalId({ ...base, serial: -1 })).toThrow(/serial/);
  });
});
