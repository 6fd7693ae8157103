import type { CitizenRecord } from './citizen';
import { generateCitizenBatch, REGISTRY_DEFAULT_SEED } from './generator';
import { type ApplicantClaim, nameKey, namesMatch, verifyApplicant } from './matching';

const record: CitizenRecord = {
  personalId: '033099000123',
  fullName: 'Nguyễn Văn Hòa',
  gender: 'male',
  birthDate: '1999-04-30',
  birthProvinceCode: '33',
  permanentAddress: 'Thôn 3, Xã Tân Phú, Tỉnh Hưng Yên',
  currentProvinceCode: '33',
  ethnicity: 'Kinh',
  nationality: 'Việt Nam',
  deceased: false,
  deceasedAt: null,
  vneidLevel: 2,
  phone: '0912345678',
};
const withoutMarks = (name: string) => name.normalize('NFD').replace(/\p{M}/gu, '');
const claim: ApplicantClaim = { personalId: record.personalId, fullName: record.fullName, birthDate: record.birthDate };

describe('verifyApplicant', () => {
  it('accepts a claim that matches a living citizen with a sufficient VNeID level', () => {
    expect(verifyApplicant(record, claim, 2)).toEqual({ ok: true });
    expect(verifyApplicant({ ...record, vneidLevel: 0 }, claim, 0)).toEqual({ ok: true });
  });

  it('rejects an ID that is not registered', () => {
    expect(verifyApplicant(null, claim, 0)).toMatchObject({ ok: false, reason: 'NOT_FOUND' });
    // A lookup that returned someone else's row must not be answered from that row.
    expect(verifyApplicant({ ...record, personalId: '033099000124' }, claim, 0)).toMatchObject({
      ok: false,
      reason: 'NOT_FOUND',
    });
  });

  it('rejects a deceased citizen before comparing anything else', () => {
    const dead = { ...record, deceased: true, deceasedAt: '2024-01-01' };
    expect(verifyApplicant(dead, claim, 0)).toMatchObject({ ok: false, reason: 'DECEASED' });
    expect(verifyApplicant(dead, { ...claim, birthDate: '1990-01-01', fullName: 'Trần Thị Mai' }, 2)).toMatchObject({
      reason: 'DECEASED',
    });
  });

  it('checks the birth date before the name', () => {
    expect(verifyApplicant(record, { ...claim, birthDate: '1999-04-29' }, 0)).toMatchObject({
      ok: false,
      reason: 'BIRTH_DATE_MISMATCH',
    });
    expect(verifyApplicant(record, { ...claim, birthDate: '1999-04-29', fullName: 'Lê Văn Tám' }, 0)).toMatchObject({
      reason: 'BIRTH_DATE_MISMATCH',
    });
  });

  it('rejects another name', () => {
    const result = verifyApplicant(record, { ...claim, fullName: 'Nguyễn Văn Hùng' }, 0);
    expect(result).toMatchObject({ ok: false, reason: 'NAME_MISMATCH' });
    if (!result.ok) expect(result.detail).not.toMatch(/diacritic/);
  });

  it('checks the VNeID level last', () => {
    const tooLow = verifyApplicant({ ...record, vneidLevel: 1 }, claim, 2);
    expect(tooLow).toMatchObject({ ok: false, reason: 'VNEID_LEVEL_TOO_LOW' });
    expect(tooLow.ok ? '' : tooLow.detail).toContain('level-2');
    expect(verifyApplicant({ ...record, vneidLevel: 0 }, claim, 1)).toMatchObject({ reason: 'VNEID_LEVEL_TOO_LOW' });
    expect(verifyApplicant({ ...record, vneidLevel: 1 }, claim, 1)).toEqual({ ok: true });
    expect(verifyApplicant({ ...record, vneidLevel: 0 }, { ...claim, fullName: 'Ai Đó' }, 2)).toMatchObject({
      reason: 'NAME_MISMATCH',
    });
  });

  describe('name comparison', () => {
    it('treats NFC and NFD spellings as the same name', () => {
      const nfd = record.fullName.normalize('NFD');
      expect(nfd).not.toBe(record.fullName);
      expect(verifyApplicant(record, { ...claim, fullName: nfd }, 2)).toEqual({ ok: true });
      expect(verifyApplicant({ ...record, fullName: nfd }, claim, 2)).toEqual({ ok: true });
    });

    it('ignores case and extra whitespace', () => {
      for (const fullName of ['NGUYỄN VĂN HÒA', 'nguyễn văn hòa', '  Nguyễn   Văn\tHòa  ', 'Nguyễn\u00a0Văn Hòa']) {
        expect(verifyApplicant(record, { ...claim, fullName }, 2)).toEqual({ ok: true });
      }
    });

    it('accepts the old and new tone-mark placements of the same syllable', () => {
      expect(namesMatch('Nguyễn Văn Hoà', 'Nguyễn Văn Hòa')).toBe(true);
      expect(namesMatch('Lê Thị Thuỷ', 'Lê Thị Thủy')).toBe(true);
      expect(namesMatch('Lê Thị Thủy', 'Lê Thị Thùy')).toBe(false); // another tone, another name
    });

    it('accepts apostrophe look-alikes in minority names', () => {
      expect(namesMatch('H\u2019Nga Niê', "H'Nga Niê")).toBe(true);
    });

    it('rejects missing diacritics and says that diacritics matter', () => {
      for (const fullName of ['Nguyen Van Hoa', 'Nguyễn Van Hòa', 'nguyen van hoa']) {
        const result = verifyApplicant(record, { ...claim, fullName }, 0);
        expect(result).toMatchObject({ ok: false, reason: 'NAME_MISMATCH' });
        if (!result.ok) expect(result.detail).toMatch(/diacritics/);
      }
      expect(namesMatch('Đức', 'Duc')).toBe(false);
      expect(namesMatch('Đức', 'Dức')).toBe(false);
    });

    it('keeps every letter, vowel mark and tone in the key', () => {
      expect(nameKey('Nguyễn')).not.toBe(nameKey('Nguyen'));
      expect(nameKey('Ân')).not.toBe(nameKey('Ấn'));
      expect(nameKey('Ơn')).not.toBe(nameKey('Ôn'));
      expect(nameKey('  TRẦN  thị ')).toBe(nameKey('Trần Thị'));
    });
  });

  it('never puts the registry’s name, birth date or death date in a detail', () => {
    const records = generateCitizenBatch(REGISTRY_DEFAULT_SEED, 0, 2_000);
    const seen = new Set<string>();
    const leaks: string[] = [];
    for (const r of records) {
      const registry = { ...r, vneidLevel: 0 as const };
      const claims: ApplicantClaim[] = [
        { personalId: r.personalId, fullName: r.fullName, birthDate: '1900-01-01' },
        { personalId: r.personalId, fullName: 'Trần Thị Mai', birthDate: r.birthDate },
        {
          personalId: r.personalId,
          fullName: withoutMarks(r.fullName),
          birthDate: r.birthDate,
        },
        { personalId: r.personalId, fullName: r.fullName, birthDate: r.birthDate },
      ];
      for (const c of claims) {
        for (const result of [verifyApplicant(registry, c, 2), verifyApplicant(null, c, 2)]) {
          if (result.ok) continue;
          seen.add(result.reason);
          const detail = result.detail.toLowerCase();
          const secrets = [r.fullName.toLowerCase(), withoutMarks(r.fullName).toLowerCase(), r.birthDate, r.deceasedAt];
          for (const secret of secrets)
            if (secret && detail.includes(secret)) leaks.push(`${result.reason}: ${secret}`);
        }
      }
    }
    // Collected rather than asserted one by one: 16,000 expect() calls would dominate the suite's run time.
    expect(leaks).toEqual([]);
    expect([...seen].sort()).toEqual(
      ['BIRTH_DATE_MISMATCH', 'DECEASED', 'NAME_MISMATCH', 'NOT_FOUND', 'VNEID_LEVEL_TOO_LOW'].sort(),
    );
  });
});
