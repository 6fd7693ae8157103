import { buildFormSchema, countPrefilledFields, formValueFor, validateForm, type FormField } from './form-schema';

const field = (f: Partial<FormField> & Pick<FormField, 'name' | 'type'>): FormField => ({
  label: f.name,
  labelEn: f.name,
  required: true,
  ...f,
});

const fields: FormField[] = [
  field({ name: 'fullName', type: 'text', max: 10, prefill: 'fullName' }),
  field({ name: 'birthDate', type: 'date', prefill: 'birthDate' }),
  field({ name: 'children', type: 'number', min: 0, max: 20 }),
  field({ name: 'gender', type: 'select', options: ['Nam', 'Nữ'], prefill: 'gender' }),
  field({ name: 'agree', type: 'boolean' }),
  field({ name: 'email', type: 'email', required: false }),
  field({ name: 'phone', type: 'phone' }),
  field({ name: 'spouseId', type: 'personalId', required: false }),
  field({ name: 'code', type: 'text', required: false, pattern: '^\\d{2}$' }),
];

const valid = {
  fullName: 'Nguyễn An',
  birthDate: '1990-05-01',
  children: 2,
  gender: 'Nữ',
  agree: true,
  phone: '0912345678',
};

function issuesOf(form: unknown) {
  const r = validateForm(fields, form);
  return r.ok ? [] : r.issues;
}

describe('form schema builder', () => {
  it('accepts a valid form, optional fields left out', () => {
    expect(validateForm(fields, valid)).toEqual({ ok: true, form: valid });
    expect(validateForm(fields, { ...valid, email: 'an@example.vn', spouseId: '001099000123', code: '79' }).ok).toBe(
      true,
    );
  });

  it('reports every missing required field as form.<name>: is required', () => {
    const issues = issuesOf({});
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['form.agree', 'form.birthDate', 'form.children', 'form.fullName', 'form.gender', 'form.phone'].sort(),
    );
    for (const i of issues) expect(i.message).toBe('is required');
    expect(issuesOf({ ...valid, fullName: '   ' })).toEqual([{ path: 'form.fullName', message: 'is required' }]);
  });

  it.each([
    ['text too long', { fullName: 'x'.repeat(11) }, 'form.fullName', /at most 10/],
    ['text pattern', { code: '7' }, 'form.code', /invalid format/],
    ['date', { birthDate: '01/05/1990' }, 'form.birthDate', /YYYY-MM-DD/],
    ['impossible date', { birthDate: '1990-02-30' }, 'form.birthDate', /YYYY-MM-DD/],
    ['number type', { children: '2' }, 'form.children', /number/],
    ['number range', { children: 21 }, 'form.children', /at most 20/],
    ['select', { gender: 'male' }, 'form.gender', /one of: Nam, Nữ/],
    ['boolean', { agree: 'yes' }, 'form.agree', /true or false/],
    ['email', { email: 'not-an-email' }, 'form.email', /e-mail/],
    ['phone', { phone: '12345' }, 'form.phone', /phone/],
    ['personal ID', { spouseId: '12345' }, 'form.spouseId', /12-digit/],
  ])('rejects a bad %s', (_name, patch, path, message) => {
    const issues = issuesOf({ ...valid, ...patch });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toMatch(message);
  });

  it('rejects unknown form fields by name', () => {
    expect(issuesOf({ ...valid, isAdmin: true, nickname: 'x' })).toEqual([
      { path: 'form.isAdmin', message: 'is not a field of this form' },
      { path: 'form.nickname', message: 'is not a field of this form' },
    ]);
  });

  it('validates by the fields it is given each time, whatever it validated before', () => {
    // The schema is kept per fields array: a second form with a field of the same name but other rules must not
    // be checked by the first form's schema.
    const stricter = fields.map((f) => (f.name === 'children' ? { ...f, max: 1 } : f));
    expect(validateForm(fields, valid).ok).toBe(true);
    expect(validateForm(stricter, valid)).toEqual({
      ok: false,
      issues: [{ path: 'form.children', message: expect.stringMatching(/at most 1/) as unknown }],
    });
    expect(validateForm(fields, valid).ok).toBe(true);
    expect(validateForm(stricter, { ...valid, children: 1 }).ok).toBe(true);
  });

  it('builds a strict zod object with one property per field', () => {
    const schema = buildFormSchema(fields);
    expect(Object.keys(schema.shape)).toEqual(fields.map((f) => f.name));
    expect(schema.safeParse([]).success).toBe(false);
  });
});

describe('prefill', () => {
  it('counts the fields whose value is exactly the registry value of their source', () => {
    const values = { fullName: 'Nguyễn An', birthDate: '1990-05-01', gender: 'Nam' };
    // fullName and birthDate match; gender was changed by the citizen; other fields have no prefill source.
    expect(countPrefilledFields(fields, valid, values)).toBe(2);
    expect(countPrefilledFields(fields, valid, {})).toBe(0);
  });

  it('reads the value of the field prefilled from a source', () => {
    expect(formValueFor(fields, valid, 'birthDate')).toBe('1990-05-01');
    expect(formValueFor(fields, valid, 'ethnicity')).toBeUndefined();
  });
});
