import { validateForm, type FormField } from '@hoso/e-forms';
import { everyType, registry } from './fixtures';
import {
  initialValues,
  isLockedPrefill,
  serverErrors,
  toSubmission,
  validateValues,
  type RawValues,
} from './validation';

const valid: RawValues = {
  fullName: 'Nguyễn An',
  birthDate: '1990-05-01',
  children: '2',
  gender: 'Nữ',
  agree: true,
  email: '',
  phone: '0912345678',
  applicantId: '079090001234',
  spouseId: '',
  code: '',
  note: '',
};

/** Field names intake (the shared rules, fed the same submission) would complain about. */
function serverSays(fields: readonly FormField[], values: RawValues): string[] {
  const r = validateForm(fields, toSubmission(fields, values));
  return r.ok ? [] : [...new Set(r.issues.map((i) => i.path.replace(/^form\./, '')))].sort();
}

describe('the e-form in the browser', () => {
  it('turns inputs into what intake expects: numbers, booleans, empty optional fields left out', () => {
    expect(toSubmission(everyType, valid)).toEqual({
      fullName: 'Nguyễn An',
      birthDate: '1990-05-01',
      children: 2,
      gender: 'Nữ',
      agree: true,
      phone: '0912345678',
      applicantId: '079090001234',
    });
    // Not a number stays text, so intake's "must be a number" rule (and ours) applies.
    expect(toSubmission(everyType, { ...valid, children: '2 con' })['children']).toBe('2 con');
    // A required text left blank is sent blank (intake: "is required"), an unchecked box is false.
    expect(toSubmission(everyType, { ...valid, fullName: '  ', agree: false })).toMatchObject({
      fullName: '  ',
      agree: false,
    });
    // Spaces around an email, phone or ID are not the citizen's intent.
    expect(toSubmission(everyType, { ...valid, email: ' an@example.vn ' })['email']).toBe('an@example.vn');
  });

  it('accepts a valid form exactly when intake does', () => {
    expect(validateValues(everyType, valid)).toEqual({});
    expect(validateForm(everyType, toSubmission(everyType, valid))).toMatchObject({ ok: true });
  });

  it.each<[string, Partial<RawValues>, string, string, number | null]>([
    ['missing required text', { fullName: '' }, 'fullName', 'required', null],
    ['blank required text', { fullName: '   ' }, 'fullName', 'required', null],
    ['text too long', { fullName: 'x'.repeat(11) }, 'fullName', 'tooLong', 10],
    ['text too short', { note: 'abc' }, 'note', 'tooShort', 5],
    ['text pattern', { code: '7' }, 'code', 'format', null],
    ['missing date', { birthDate: '' }, 'birthDate', 'required', null],
    ['impossible date', { birthDate: '1990-02-30' }, 'birthDate', 'date', null],
    ['not a number', { children: 'hai' }, 'children', 'number', null],
    ['number below min', { children: '-1' }, 'children', 'tooSmall', 0],
    ['number above max', { children: '21' }, 'children', 'tooBig', 20],
    ['missing number', { children: '' }, 'children', 'required', null],
    ['missing select', { gender: '' }, 'gender', 'required', null],
    ['select outside options', { gender: 'male' }, 'gender', 'option', null],
    ['email', { email: 'not-an-email' }, 'email', 'email', null],
    ['phone', { phone: '12345' }, 'phone', 'phone', null],
    ['missing phone', { phone: '' }, 'phone', 'required', null],
    ['personal ID', { spouseId: '12345' }, 'spouseId', 'personalId', null],
  ])('%s: the same field fails as on the server', (_name, patch, name, kind, limit) => {
    const values = { ...valid, ...patch } as RawValues;
    const errors = validateValues(everyType, values);
    expect(Object.keys(errors)).toEqual([name]);
    expect(errors[name]).toEqual({ kind, ...(limit !== null ? { limit } : {}) });
    expect(serverSays(everyType, values)).toEqual([name]);
  });

  it('agrees with intake on a batch of generated inputs (same field set fails)', () => {
    const samples: Record<string, (string | boolean)[]> = {
      fullName: ['', ' ', 'An', 'x'.repeat(10), 'x'.repeat(11)],
      birthDate: ['', '2000-01-01', '2000-13-01', '01/01/2000'],
      children: ['', '0', '20', '21', '1.5', 'abc', '-0'],
      gender: ['', 'Nam', 'Nữ', 'nam'],
      email: ['', 'a@b.vn', 'a@b', '@b.vn'],
      phone: ['', '0912345678', '+84912345678', '0212345678', '091234567'],
      spouseId: ['', '001099000123', '00109900012', 'abcdefghijkl'],
      code: ['', '79', '7', '790'],
      note: ['', 'abcd', 'abcde', 'x'.repeat(21)],
    };
    let seed = 7;
    const pick = <T>(list: T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return list[seed % list.length] as T;
    };
    for (let i = 0; i < 150; i++) {
      const values: RawValues = { ...valid };
      for (const [k, options] of Object.entries(samples)) values[k] = pick(options);
      expect(Object.keys(validateValues(everyType, values)).sort()).toEqual(serverSays(everyType, values));
    }
  });

  it('starts from the registry values; only the personal ID is locked', () => {
    const values = initialValues(everyType, registry);
    expect(values).toMatchObject({
      fullName: 'Trần An',
      birthDate: '1990-05-01',
      gender: 'Nam',
      applicantId: '079090001234',
      phone: '',
      agree: false,
    });
    const byName = (n: string) => everyType.find((f) => f.name === n) as FormField;
    expect(isLockedPrefill(byName('applicantId'), registry)).toBe(true);
    expect(isLockedPrefill(byName('fullName'), registry)).toBe(false);
    // Without a registry answer nothing is locked: the citizen types the ID.
    expect(isLockedPrefill(byName('applicantId'), {})).toBe(false);
  });

  it("places intake's 400 issues on their fields and keeps the rest for the summary", () => {
    const { byField, other } = serverErrors(everyType, [
      { path: 'form.applicantId', message: "must be the applicant's personal ID" },
      { path: 'form.unknownThing', message: 'is not a field of this form' },
      { path: 'agencyCode', message: 'no agency P99' },
      { path: 'form', message: "the applicant's birth date is needed" },
    ]);
    expect(byField).toEqual({ applicantId: { kind: 'unknown', message: "must be the applicant's personal ID" } });
    expect(other.map((o) => o.path)).toEqual(['form.unknownThing', 'agencyCode', 'form']);
  });
});
