import {
  AGENCY_LEVELS,
  AREAS,
  CCCD_PROVINCE_PREFIX,
  FORM_FIELD_TYPES,
  PREFILL_SOURCES,
  SERVICE_LEVELS,
  agencies,
  areas,
  communeKind,
  communes,
  feeExemptions,
  legacyProvinces,
  procedures,
  provinces,
  toAscii,
} from './index';

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) dups.add(v);
    seen.add(v);
  }
  return [...dups];
}

const provinceCodes = new Set(provinces.map((p) => p.code));
const communeByCode = new Map(communes.map((c) => [c.code, c]));
const activeCommunes = communes.filter((c) => c.mergedIntoCode === undefined);
const procedureCodes = new Set(procedures.map((p) => p.code));

describe('provinces (structure since 1 July 2025)', () => {
  it('has 34 units with unique 2-digit codes: 6 cities and 28 provinces', () => {
    expect(provinces).toHaveLength(34);
    expect(duplicates(provinces.map((p) => p.code))).toEqual([]);
    expect(duplicates(provinces.map((p) => p.name))).toEqual([]);
    for (const p of provinces) expect(p.code).toMatch(/^\d{2}$/);
    expect(provinces.filter((p) => p.kind === 'city')).toHaveLength(6);
    expect(provinces.filter((p) => p.kind === 'province')).toHaveLength(28);
  });

  it('lists the six centrally-run cities under their official codes', () => {
    const cities = Object.fromEntries(provinces.filter((p) => p.kind === 'city').map((p) => [p.code, p.name]));
    expect(cities).toEqual({
      '01': 'Hà Nội',
      '31': 'Hải Phòng',
      '46': 'Huế',
      '48': 'Đà Nẵng',
      '79': 'Hồ Chí Minh',
      '92': 'Cần Thơ',
    });
  });

  it('has ASCII English names, full names and positive integer populations', () => {
    for (const p of provinces) {
      expect(p.nameEn).toMatch(/^[\x20-\x7e]+$/);
      expect(p.fullName.endsWith(p.name)).toBe(true);
      expect(Number.isInteger(p.population)).toBe(true);
      expect(p.population).toBeGreaterThan(0);
    }
    const total = provinces.reduce((sum, p) => sum + p.population, 0);
    expect(total).toBeGreaterThan(95_000_000);
    expect(total).toBeLessThan(110_000_000);
  });

  it('keeps 11 units unchanged and 23 formed by merging', () => {
    expect(provinces.filter((p) => p.mergedFrom.length === 0)).toHaveLength(11);
    expect(provinces.filter((p) => p.mergedFrom.length >= 2)).toHaveLength(23);
  });
});

describe('legacy provinces (63-province structure)', () => {
  it('has 63 provinces with unique codes, each merged into an existing current province', () => {
    expect(legacyProvinces).toHaveLength(63);
    expect(duplicates(legacyProvinces.map((p) => p.code))).toEqual([]);
    for (const l of legacyProvinces) {
      expect(l.code).toMatch(/^\d{2}$/);
      expect(provinceCodes.has(l.mergedInto)).toBe(true);
    }
  });

  it('agrees with mergedFrom and the population of every current province', () => {
    for (const p of provinces) {
      const parts = legacyProvinces.filter((l) => l.mergedInto === p.code);
      if (p.mergedFrom.length === 0) {
        expect(parts).toHaveLength(1);
        expect(parts[0]?.code).toBe(p.code);
      } else {
        expect(parts.map((l) => l.name).sort()).toEqual([...p.mergedFrom].sort());
      }
      expect(parts.reduce((sum, l) => sum + l.population, 0)).toBe(p.population);
    }
  });

  it('gives each current province the code of one of its former provinces', () => {
    for (const p of provinces) {
      expect(legacyProvinces.some((l) => l.code === p.code && l.mergedInto === p.code)).toBe(true);
    }
  });

  it('maps every legacy code to the 3-digit personal-ID prefix', () => {
    expect(Object.keys(CCCD_PROVINCE_PREFIX)).toHaveLength(63);
    expect(CCCD_PROVINCE_PREFIX['01']).toBe('001');
    expect(CCCD_PROVINCE_PREFIX['79']).toBe('079');
    for (const l of legacyProvinces) expect(CCCD_PROVINCE_PREFIX[l.code]).toBe(`0${l.code}`);
  });
});

describe('communes', () => {
  it('have unique 5-digit codes, a known kind and an existing province', () => {
    expect(duplicates(communes.map((c) => c.code))).toEqual([]);
    for (const c of communes) {
      expect(c.code).toMatch(/^\d{5}$/);
      expect(() => communeKind(c.name)).not.toThrow();
      expect(provinceCodes.has(c.provinceCode)).toBe(true);
    }
  });

  it('cover every province with at least 2 current units', () => {
    for (const p of provinces) {
      expect(activeCommunes.filter((c) => c.provinceCode === p.code).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('include at least 3 merged units pointing to current units of the same province', () => {
    const merged = communes.filter((c) => c.mergedIntoCode !== undefined);
    expect(merged.length).toBeGreaterThanOrEqual(3);
    for (const c of merged) {
      const target = communeByCode.get(c.mergedIntoCode ?? '');
      expect(target).toBeDefined();
      expect(target?.mergedIntoCode).toBeUndefined();
      expect(target?.provinceCode).toBe(c.provinceCode);
    }
  });
});

describe('agencies', () => {
  it('have unique codes and a known level', () => {
    expect(duplicates(agencies.map((a) => a.code))).toEqual([]);
    for (const a of agencies) {
      expect(AGENCY_LEVELS).toContain(a.level);
      expect(a.nameEn).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('include one service centre per province, coded P<provinceCode>', () => {
    const centres = agencies.filter((a) => a.level === 'province');
    expect(centres).toHaveLength(provinces.length);
    for (const a of centres) {
      expect(a.code).toBe(`P${a.provinceCode ?? ''}`);
      expect(provinceCodes.has(a.provinceCode ?? '')).toBe(true);
      expect(a.communeCode).toBeNull();
    }
  });

  it('include one People’s Committee per current commune, coded C<communeCode>', () => {
    const committees = agencies.filter((a) => a.level === 'commune');
    expect(committees).toHaveLength(activeCommunes.length);
    for (const a of committees) {
      const commune = communeByCode.get(a.communeCode ?? '');
      expect(commune).toBeDefined();
      expect(commune?.mergedIntoCode).toBeUndefined();
      expect(a.code).toBe(`C${commune?.code ?? ''}`);
      expect(a.provinceCode).toBe(commune?.provinceCode);
    }
  });

  it('include the ministry-level agencies, with no province or commune', () => {
    const ministries = agencies.filter((a) => a.level === 'ministry');
    for (const code of ['BCA', 'BTP', 'BXD', 'BTC', 'BNNMT', 'BHXH']) {
      expect(ministries.map((a) => a.code)).toContain(code);
    }
    for (const a of ministries) {
      expect(a.provinceCode).toBeNull();
      expect(a.communeCode).toBeNull();
    }
  });
});

describe('procedures', () => {
  it('has at least 45 procedures with unique N.NNNNNN codes', () => {
    expect(procedures.length).toBeGreaterThanOrEqual(45);
    expect(duplicates(procedures.map((p) => p.code))).toEqual([]);
    for (const p of procedures) expect(p.code).toMatch(/^\d\.\d{6}$/);
  });

  it('spans at least 9 known areas, each with a display name', () => {
    const used = new Set(procedures.map((p) => p.area));
    expect(used.size).toBeGreaterThanOrEqual(9);
    for (const area of used) expect(AREAS).toContain(area);
    expect(areas.map((a) => a.id).sort()).toEqual([...AREAS].sort());
  });

  it('has valid levels, fees, deadlines, VNeID levels and popularity', () => {
    for (const p of procedures) {
      expect(p.name.length).toBeGreaterThan(0);
      expect(p.nameEn).toMatch(/^[\x20-\x7e\u2013]+$/);
      expect(AGENCY_LEVELS).toContain(p.agencyLevel);
      expect(SERVICE_LEVELS).toContain(p.serviceLevel);
      expect(Number.isInteger(p.feeVnd) && p.feeVnd >= 0).toBe(true);
      expect(Number.isInteger(p.processingWorkingDays) && p.processingWorkingDays >= 1).toBe(true);
      expect([0, 1, 2]).toContain(p.requiredVneidLevel);
      expect(p.popularity).toBeGreaterThanOrEqual(1);
      expect(p.popularity).toBeLessThanOrEqual(100);
    }
  });

  it('mixes free and paid, fully and partially online procedures', () => {
    expect(procedures.some((p) => p.feeVnd === 0)).toBe(true);
    expect(procedures.some((p) => p.feeVnd > 0)).toBe(true);
    const full = procedures.filter((p) => p.serviceLevel === 'FULL').length;
    expect(full).toBeGreaterThan(0);
    expect(procedures.length - full).toBeGreaterThan(0);
    const share = full / procedures.length;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.55);
  });

  it('names a ministry agency exactly for ministry-level procedures', () => {
    const ministryCodes = new Set(agencies.filter((a) => a.level === 'ministry').map((a) => a.code));
    for (const p of procedures) {
      if (p.agencyLevel === 'ministry') {
        expect(ministryCodes.has(p.ministryAgencyCode ?? '')).toBe(true);
      } else {
        expect(p.ministryAgencyCode).toBeNull();
      }
    }
  });

  it('keeps the reference values of the best-known procedures', () => {
    const byCode = new Map(procedures.map((p) => [p.code, p]));
    expect(byCode.get('1.001193')).toMatchObject({ area: 'civil-status', agencyLevel: 'commune', feeVnd: 0 });
    expect(byCode.get('3.000333')).toMatchObject({ area: 'judicial-records', feeVnd: 200_000 });
    expect(byCode.get('1.001456')).toMatchObject({ area: 'identity-documents', feeVnd: 200_000 });
    expect(byCode.get('3.000347')).toMatchObject({ area: 'driving-licence', feeVnd: 135_000 });
  });

  it('has required documents with names in both languages', () => {
    for (const p of procedures) {
      for (const d of p.requiredDocuments) {
        expect(d.name.length).toBeGreaterThan(0);
        expect(d.nameEn.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('procedure forms', () => {
  it.each(procedures.map((p) => [p.code, p] as const))('%s has a well-formed form', (_code, p) => {
    const names = p.form.map((f) => f.name);
    expect(duplicates(names)).toEqual([]);
    expect(p.form.length).toBeGreaterThanOrEqual(5);
    expect(p.form.length).toBeLessThanOrEqual(12);
    expect(p.form.filter((f) => f.prefill !== undefined).length).toBeGreaterThanOrEqual(2);
    for (const f of p.form) {
      expect(f.name).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(f.label.length).toBeGreaterThan(0);
      expect(f.labelEn.length).toBeGreaterThan(0);
      expect(FORM_FIELD_TYPES).toContain(f.type);
      if (f.prefill !== undefined) expect(PREFILL_SOURCES).toContain(f.prefill);
      if (f.type === 'select') {
        expect(f.options?.length ?? 0).toBeGreaterThanOrEqual(2);
        expect(duplicates(f.options ?? [])).toEqual([]);
      } else {
        expect(f.options).toBeUndefined();
      }
      if (f.min !== undefined && f.max !== undefined) expect(f.min).toBeLessThanOrEqual(f.max);
      if (f.pattern !== undefined) expect(() => new RegExp(f.pattern ?? '')).not.toThrow();
    }
  });
});

describe('fee exemptions', () => {
  it('reference existing procedures and provinces and are internally consistent', () => {
    expect(duplicates(feeExemptions.map((e) => e.id))).toEqual([]);
    const fees = new Map(procedures.map((p) => [p.code, p.feeVnd]));
    for (const e of feeExemptions) {
      if (e.procedureCode !== null) expect(procedureCodes.has(e.procedureCode)).toBe(true);
      if (e.provinceCode !== null) expect(provinceCodes.has(e.provinceCode)).toBe(true);
      if (e.kind === 'REDUCED') {
        expect(e.reducedFeeVnd).not.toBeNull();
        const base = e.procedureCode === null ? undefined : fees.get(e.procedureCode);
        if (base !== undefined) expect(e.reducedFeeVnd ?? Infinity).toBeLessThan(base);
      } else {
        expect(e.reducedFeeVnd).toBeNull();
      }
      if (e.validTo !== null) expect(e.validFrom <= e.validTo).toBe(true);
    }
  });
});

describe('toAscii', () => {
  it('strips Vietnamese diacritics', () => {
    expect(toAscii('Đà Nẵng')).toBe('Da Nang');
    expect(toAscii('Thừa Thiên Huế')).toBe('Thua Thien Hue');
  });
});
