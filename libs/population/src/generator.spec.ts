import {
  type CitizenRecord,
  citizenAt,
  findCitizenByPersonalId,
  generateCitizenBatch,
  generateCitizens,
  indexOfPersonalId,
  REGISTRY_DEFAULT_SEED,
  REGISTRY_MAX_CITIZENS,
  REGISTRY_REFERENCE_DATE,
  unregisteredPersonalId,
} from './generator';
import {
  currentProvince,
  currentProvinceDisplayName,
  formatPersonalId,
  isValidPersonalId,
  legacyProvince,
  parsePersonalId,
} from './personal-id';

const COUNT = 200_000;
const seed = REGISTRY_DEFAULT_SEED;
const referenceDate = new Date(`${REGISTRY_REFERENCE_DATE}T00:00:00Z`);
const [REF_Y, REF_M, REF_D] = REGISTRY_REFERENCE_DATE.split('-').map(Number) as [number, number, number];

/** Whole years between an ISO birth date and the registry's reference date. */
function ageAtReference(birthDate: string): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  return REF_Y - y - (REF_M < m || (REF_M === m && REF_D < d) ? 1 : 0);
}

/** Everything a record must satisfy on its own; null when it does. */
function problemWith(r: CitizenRecord): string | null {
  const parsed = parsePersonalId(r.personalId, referenceDate);
  if (!parsed.ok) return parsed.error;
  if (parsed.value.gender !== r.gender) return 'ID gender digit';
  if (parsed.value.birthYear !== Number(r.birthDate.slice(0, 4))) return 'ID birth year digits';
  if (parsed.value.provinceCode !== r.birthProvinceCode) return 'ID province digits';
  if (formatPersonalId(parsed.value) !== r.personalId) return 'formatPersonalId disagrees';
  if (!isValidPersonalId(r.personalId, r.birthDate, r.gender)) return 'isValidPersonalId';
  const age = ageAtReference(r.birthDate);
  if (age < 0 || age > 95) return `age ${age}`;
  // Births registered after the merger carry a current code; every code is one of the 63 either way.
  if (r.birthDate >= '2025-07-01' ? !currentProvince(r.birthProvinceCode) : !legacyProvince(r.birthProvinceCode)) {
    return 'birth province code for the birth date';
  }
  if (r.nationality !== 'Việt Nam') return 'nationality';
  if (r.fullName !== r.fullName.normalize('NFC') || !/^\S+( \S+)*$/.test(r.fullName)) return 'name form';
  const province = currentProvince(r.currentProvinceCode);
  if (!province) return 'current province';
  if (!r.permanentAddress.endsWith(`, ${currentProvinceDisplayName(province)}`)) return 'address province';
  if (!/, (Phường|Xã) /.test(r.permanentAddress)) return 'address ward or commune';
  if (r.deceased !== (r.deceasedAt !== null)) return 'deceasedAt and deceased disagree';
  if (r.deceasedAt !== null && (r.deceasedAt < r.birthDate || r.deceasedAt > REGISTRY_REFERENCE_DATE)) {
    return 'death date';
  }
  if (r.phone !== null && !/^0[35789]\d{8}$/.test(r.phone)) return 'phone form';
  if (age < 14 && r.phone !== null) return 'phone for a child';
  if (r.ethnicity === 'Kinh' && r.fullName.startsWith('Huỳnh ') && r.personalId.slice(1, 3) < '48') {
    return 'Huỳnh (southern spelling) for a northern birth';
  }
  if (r.ethnicity === 'Kinh' && r.fullName.startsWith('Võ ') && r.personalId.slice(1, 3) < '40') {
    return 'Võ (southern spelling) for a northern birth';
  }
  return null;
}

class Ratio {
  hits = 0;
  total = 0;
  add(hit: boolean): void {
    this.total++;
    if (hit) this.hits++;
  }
  get value(): number {
    return this.hits / this.total;
  }
}

/**
 * One streaming pass over the 200,000 citizens, the way the seeding job reads them. Only summaries and a few records
 * are kept: holding all rows would triple the run time in garbage collection alone.
 */
function survey() {
  const ids = new Set<string>();
  const problems: string[] = [];
  const first: CitizenRecord[] = [];
  const kept = new Map<number, CitizenRecord>();
  const keep = new Set([0, 1, 2, 42, 150, 999, 10_000, 123_456, COUNT - 1, 777, 778, 779, 780, 781]);
  const ratios = {
    deceased: new Ratio(),
    deceasedOld: new Ratio(),
    level2Adults: new Ratio(),
    level0Children: new Ratio(),
    nguyen: new Ratio(),
    kinh: new Ratio(),
    male: new Ratio(),
    kinhBornHaGiang: new Ratio(),
    kinhBornHanoi: new Ratio(),
    postMergerBirth: new Ratio(),
  };
  const byCurrentProvince = new Map<string, number>();
  let index = 0;
  for (const r of generateCitizens({ count: COUNT, seed })) {
    ids.add(r.personalId);
    if (problems.length < 10) {
      const problem = problemWith(r);
      if (problem !== null) problems.push(`#${index} ${r.personalId}: ${problem}`);
    }
    if (index < 1_000) first.push(r);
    if (keep.has(index)) kept.set(index, r);
    const age = ageAtReference(r.birthDate);
    ratios.deceased.add(r.deceased);
    if (age >= 75) ratios.deceasedOld.add(r.deceased);
    if (age >= 18) ratios.level2Adults.add(r.vneidLevel === 2);
    if (age < 14) ratios.level0Children.add(r.vneidLevel === 0);
    ratios.nguyen.add(r.fullName.startsWith('Nguyễn '));
    ratios.kinh.add(r.ethnicity === 'Kinh');
    ratios.male.add(r.gender === 'male');
    if (r.personalId.startsWith('002')) ratios.kinhBornHaGiang.add(r.ethnicity === 'Kinh');
    if (r.personalId.startsWith('001')) ratios.kinhBornHanoi.add(r.ethnicity === 'Kinh');
    ratios.postMergerBirth.add(r.birthDate >= '2025-07-01');
    byCurrentProvince.set(r.currentProvinceCode, (byCurrentProvince.get(r.currentProvinceCode) ?? 0) + 1);
    index++;
  }
  return { ids, problems, first, kept, ratios, byCurrentProvince };
}

describe('synthetic population registry', () => {
  let s: ReturnType<typeof survey>;
  const record = (i: number) => s.kept.get(i) as CitizenRecord;

  beforeAll(() => {
    s = survey();
  });

  it('gives every citizen a unique personal ID across 200,000 records', () => {
    expect(s.ids.size).toBe(COUNT);
  });

  it('gives every citizen a valid ID consistent with their birth date, and coherent fields', () => {
    expect(s.problems).toEqual([]);
  });

  it('uses the merged province code for births registered after 1 July 2025', () => {
    // Half a year of births out of 96 years of ages.
    expect(s.ratios.postMergerBirth.hits).toBeGreaterThan(100);
  });

  it('has realistic shares', () => {
    const { ratios } = s;
    expect(ratios.deceased.value).toBeGreaterThan(0.005);
    expect(ratios.deceased.value).toBeLessThan(0.03);
    expect(ratios.deceasedOld.value).toBeGreaterThan(5 * ratios.deceased.value);
    expect(ratios.level2Adults.value).toBeGreaterThan(0.5);
    expect(ratios.level2Adults.value).toBeLessThan(0.7);
    expect(ratios.level0Children.value).toBeGreaterThan(0.7);
    expect(ratios.nguyen.value).toBeGreaterThan(0.3);
    expect(ratios.nguyen.value).toBeLessThan(0.45);
    expect(ratios.kinh.value).toBeGreaterThan(0.82);
    expect(ratios.kinh.value).toBeLessThan(0.9);
    expect(ratios.male.value).toBeGreaterThan(0.47);
    expect(ratios.male.value).toBeLessThan(0.53);
  });

  it('draws ethnicity from the birth province and residence towards the big cities', () => {
    expect(s.ratios.kinhBornHaGiang.value).toBeLessThan(0.3);
    expect(s.ratios.kinhBornHanoi.value).toBeGreaterThan(0.95);
    const ranked = [...s.byCurrentProvince].sort((a, b) => b[1] - a[1]).map(([code]) => code);
    expect(ranked.slice(0, 2)).toEqual(['79', '01']);
    expect(s.byCurrentProvince.size).toBe(34);
  });

  it('is deterministic: same seed, same records; another seed, other records', () => {
    expect(generateCitizenBatch(seed, 0, 1_000)).toEqual(s.first);
    const other = generateCitizenBatch(seed + 1, 0, 1_000);
    expect(other.filter((r, i) => r.personalId === s.first[i]?.personalId)).toHaveLength(0);
    // Common names and dates coincide now and then, whole records never.
    expect(other.filter((r, i) => r.fullName === s.first[i]?.fullName).length).toBeLessThan(100);
  });

  it('pins the first citizen of the default seed, so a change to the generated data is deliberate', () => {
    expect(citizenAt(REGISTRY_DEFAULT_SEED, 0)).toEqual({
      personalId: '034182187356',
      fullName: 'Nguyễn Thị Hương',
      gender: 'female',
      birthDate: '1982-01-02',
      birthProvinceCode: '34',
      permanentAddress: 'Thôn An Lợi, Xã Đại Phú, Tỉnh Hưng Yên',
      currentProvinceCode: '33',
      ethnicity: 'Kinh',
      nationality: 'Việt Nam',
      deceased: true,
      deceasedAt: '2024-04-03',
      vneidLevel: 0,
      phone: '0844544986',
    });
  });

  it('gives random access: citizenAt(seed, i) is the i-th generated record', () => {
    for (const [i, r] of s.kept) expect(citizenAt(seed, i)).toEqual(r);
    expect([...generateCitizens({ count: 5, seed, startIndex: 777 })]).toEqual([777, 778, 779, 780, 781].map(record));
  });

  it('finds a citizen by personal ID without scanning, and hands out IDs it guarantees are unregistered', () => {
    for (const i of [0, 42, COUNT - 1]) {
      expect(indexOfPersonalId(seed, COUNT, record(i).personalId)).toBe(i);
      expect(findCitizenByPersonalId(seed, COUNT, record(i).personalId)).toEqual(record(i));
    }
    expect(indexOfPersonalId(seed, 100, record(150).personalId)).toBeNull();
    expect(findCitizenByPersonalId(seed, COUNT, 'not-an-id')).toBeNull();
    for (let n = 0; n < 50; n++) {
      const id = unregisteredPersonalId(seed, COUNT, n);
      expect(isValidPersonalId(id)).toBe(true);
      expect(s.ids.has(id)).toBe(false);
      expect(findCitizenByPersonalId(seed, COUNT, id)).toBeNull();
    }
  });

  it('refuses indexes outside the range where IDs are guaranteed unique', () => {
    expect(() => citizenAt(seed, -1)).toThrow(RangeError);
    expect(() => citizenAt(seed, REGISTRY_MAX_CITIZENS)).toThrow(RangeError);
    expect(() => citizenAt(seed, 1.5)).toThrow(RangeError);
    expect(() => citizenAt(1.5, 0)).toThrow(RangeError);
    expect(() => generateCitizenBatch(seed, REGISTRY_MAX_CITIZENS - 1, 2)).toThrow(RangeError);
    expect(generateCitizenBatch(seed, 0, 0)).toEqual([]);
  });
});
