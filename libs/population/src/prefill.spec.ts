import type { CitizenRecord } from './citizen';
import { citizenAt, REGISTRY_DEFAULT_SEED } from './generator';
import { PREFILL_SOURCES, type PrefillSource, prefillValues } from './prefill';

const record: CitizenRecord = {
  personalId: '079301987654',
  fullName: 'Trần Thị Ngọc Lan',
  gender: 'female',
  birthDate: '2001-09-02',
  birthProvinceCode: '79',
  permanentAddress: '45/12 Lê Lợi, Phường Tân Phú, Thành phố Hồ Chí Minh',
  currentProvinceCode: '79',
  ethnicity: 'Kinh',
  nationality: 'Việt Nam',
  deceased: false,
  deceasedAt: null,
  vneidLevel: 2,
  phone: '0987654321',
};

describe('prefillValues', () => {
  it('fills every known source', () => {
    expect(prefillValues(record, PREFILL_SOURCES)).toEqual({
      fullName: 'Trần Thị Ngọc Lan',
      birthDate: '2001-09-02',
      gender: 'Nữ',
      personalId: '079301987654',
      permanentAddress: '45/12 Lê Lợi, Phường Tân Phú, Thành phố Hồ Chí Minh',
      provinceCode: '79',
      ethnicity: 'Kinh',
      nationality: 'Việt Nam',
    });
  });

  it('returns only what was asked for', () => {
    expect(prefillValues(record, ['fullName', 'gender'])).toEqual({ fullName: 'Trần Thị Ngọc Lan', gender: 'Nữ' });
    expect(prefillValues(record, [])).toEqual({});
    expect(prefillValues({ ...record, gender: 'male' }, ['gender'])).toEqual({ gender: 'Nam' });
  });

  it('gives the current province, not the birth province', () => {
    // Born in Bình Dương (74) before the merger, living in what is now Hồ Chí Minh City (79).
    const moved = { ...record, personalId: '074301987654', birthProvinceCode: '74', currentProvinceCode: '79' };
    expect(prefillValues(moved, ['provinceCode'])).toEqual({ provinceCode: '79' });
  });

  it('ignores sources it does not know', () => {
    const sources = ['fullName', 'phone', 'toString', '__proto__'] as unknown as PrefillSource[];
    expect(prefillValues(record, sources)).toEqual({ fullName: 'Trần Thị Ngọc Lan' });
  });

  it('works on generated citizens', () => {
    const citizen = citizenAt(REGISTRY_DEFAULT_SEED, 7);
    const values = prefillValues(citizen, PREFILL_SOURCES);
    expect(values.personalId).toBe(citizen.personalId);
    expect(values.gender).toBe(citizen.gender === 'male' ? 'Nam' : 'Nữ');
    expect(values.provinceCode).toBe(citizen.currentProvinceCode);
  });
});
