import { citizenAt, prefillValues } from '@hoso/population';
import { validateForm, type FormField as EFormField } from '@hoso/e-forms';
import { fillForm, misspell, prefillSources, type CatalogProcedure } from './catalog';
import { Rng } from './random';

const field = (f: Partial<EFormField> & Pick<EFormField, 'name' | 'type'>): EFormField => ({
  label: f.name,
  labelEn: f.name,
  required: true,
  ...f,
});

/** Every field type and every pattern the catalog uses. */
const form: EFormField[] = [
  field({ name: 'applicantName', type: 'text', max: 100, prefill: 'fullName' }),
  field({ name: 'applicantPersonalId', type: 'personalId', pattern: '^\\d{12}$', prefill: 'personalId' }),
  field({ name: 'applicantBirthDate', type: 'date', prefill: 'birthDate' }),
  field({ name: 'applicantGender', type: 'select', options: ['Nam', 'Nữ'], prefill: 'gender' }),
  field({ name: 'applicantProvinceCode', type: 'text', pattern: '^\\d{2}$', prefill: 'provinceCode' }),
  field({ name: 'enterpriseCode', type: 'text', pattern: '^\\d{10}(-\\d{3})?$' }),
  field({ name: 'licenceNumber', type: 'text', pattern: '^\\d{12}$' }),
  field({ name: 'mainBusinessLine', type: 'text', pattern: '^\\d{4}$' }),
  field({ name: 'purpose', type: 'text', max: 20, min: 12 }),
  field({ name: 'copies', type: 'number', min: 1, max: 3 }),
  field({ name: 'capital', type: 'number' }),
  field({ name: 'committed', type: 'boolean' }),
  field({ name: 'email', type: 'email' }),
  field({ name: 'phone', type: 'phone', pattern: '^0\\d{9}$' }),
  field({ name: 'otherPersonalId', type: 'personalId', pattern: '^\\d{12}$' }),
  field({ name: 'note', type: 'text', required: false }),
];
const procedure: CatalogProcedure = {
  code: '9.999999',
  name: 'Thủ tục thử',
  agencyLevel: 'province',
  ministryAgencyCode: null,
  serviceLevel: 'FULL',
  feeVnd: 0,
  requiredVneidLevel: 2,
  form,
};

describe('filling an e-form', () => {
  const citizen = citizenAt(20251, 17);
  const values = prefillValues(citizen, prefillSources(procedure));

  it.each([1, 2, 3, 4, 5])('passes the e-form rules, prefilled fields from the registry (seed %i)', (seed) => {
    const filled = fillForm(procedure, values, citizen, new Rng(seed), false);
    expect(validateForm(form, filled)).toMatchObject({ ok: true });
    expect(filled['applicantName']).toBe(citizen.fullName);
    expect(filled['applicantPersonalId']).toBe(citizen.personalId);
    expect(filled['applicantProvinceCode']).toBe(citizen.currentProvinceCode);
    expect(filled).not.toHaveProperty('note');
  });

  it('types the name without its diacritics when the dossier is to fail the registry check', () => {
    const filled = fillForm(procedure, { ...values, fullName: 'Nguyễn Thị Đào' }, citizen, new Rng(1), true);
    expect(filled['applicantName']).toBe('Nguyen Thi Dao');
    expect(validateForm(form, filled)).toMatchObject({ ok: true });
    // A name with no diacritics at all still changes.
    expect(misspell('Y Bih')).not.toBe('Y Bih');
  });

  it('names a pattern it cannot satisfy', () => {
    const odd = { ...procedure, form: [field({ name: 'code', type: 'text', pattern: '^[A-Z]{3}$' })] };
    expect(() => fillForm(odd, {}, citizen, new Rng(1), false)).toThrow(/no value generator for the form pattern/);
  });
});
