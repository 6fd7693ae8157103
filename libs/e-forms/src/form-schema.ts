import { z } from 'zod';
import type { PrefillSource } from '@hoso/population';

export const FORM_FIELD_TYPES = [
  'text',
  'date',
  'number',
  'select',
  'boolean',
  'email',
  'phone',
  'personalId',
] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

/** One field of a procedure's e-form (tờ khai điện tử). */
export interface FormField {
  /** camelCase, unique within the form; the key of the submitted form object. */
  name: string;
  label: string;
  labelEn: string;
  type: FormFieldType;
  required: boolean;
  /** Choices of a `select` field. */
  options?: string[];
  /** Minimum value (number) or minimum length (text). */
  min?: number;
  /** Maximum value (number) or maximum length (text). */
  max?: number;
  /** Regular-expression source the value must match. */
  pattern?: string;
  /** Population-registry attribute that can fill this field for the logged-in applicant. */
  prefill?: PrefillSource;
}

const PHONE = /^(\+84|0)\d{9,10}$/;
const PERSONAL_ID = /^\d{12}$/;

function requiredMessage(kind: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${kind}`);
}

/** The schema of one field's value (present: `undefined` is handled by `buildFormSchema` for optional fields). */
export function fieldSchema(field: FormField): z.ZodType {
  switch (field.type) {
    case 'text': {
      let s = z.string({ error: requiredMessage('text') }).trim();
      if (field.required) s = s.min(1, { error: 'is required' });
      if (field.min !== undefined) s = s.min(field.min, { error: `must have at least ${field.min} characters` });
      s = s.max(field.max ?? 500, { error: `must have at most ${field.max ?? 500} characters` });
      if (field.pattern) s = s.regex(new RegExp(field.pattern), { error: 'has an invalid format' });
      return s;
    }
    case 'date':
      return z.iso.date({ error: (i) => (i.input === undefined ? 'is required' : 'must be a date (YYYY-MM-DD)') });
    case 'number': {
      let n = z.number({ error: requiredMessage('a number') });
      if (field.min !== undefined) n = n.min(field.min, { error: `must be at least ${field.min}` });
      if (field.max !== undefined) n = n.max(field.max, { error: `must be at most ${field.max}` });
      return n;
    }
    case 'select': {
      const options = field.options ?? [];
      return z.enum(options as [string, ...string[]], {
        error: (i) => (i.input === undefined ? 'is required' : `must be one of: ${options.join(', ')}`),
      });
    }
    case 'boolean':
      return z.boolean({ error: requiredMessage('true or false') });
    case 'email':
      return z.email({ error: (i) => (i.input === undefined ? 'is required' : 'must be an e-mail address') });
    case 'phone':
      return z
        .string({ error: requiredMessage('a phone number') })
        .regex(field.pattern ? new RegExp(field.pattern) : PHONE, { error: 'must be a Vietnamese phone number' });
    case 'personalId':
      return z
        .string({ error: requiredMessage('a personal ID') })
        .regex(PERSONAL_ID, { error: 'must be a 12-digit personal ID' });
  }
}

/**
 * The zod schema of a procedure's e-form, built from its field definitions: one property per field, required or
 * optional, and no other property (an unknown field is refused, so a misspelt name is not silently dropped).
 */
export function buildFormSchema(fields: readonly FormField[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    const s = fieldSchema(field);
    shape[field.name] = field.required ? s : s.optional();
  }
  return z.strictObject(shape, {
    error: (i) =>
      i.code === 'unrecognized_keys' ? `unknown form field(s): ${i.keys.join(', ')}` : 'must be an object',
  });
}

// Building a form's schema and zod's first parse of it (which compiles the object's parser) cost far more than a
// parse; a caller holds a procedure's fields as one array for as long as they are current (intake's reference
// snapshot, the portal's loaded procedure), so the schema is kept per array and goes with it.
const schemas = new WeakMap<readonly FormField[], ReturnType<typeof buildFormSchema>>();

function cachedFormSchema(fields: readonly FormField[]) {
  let schema = schemas.get(fields);
  if (!schema) {
    schema = buildFormSchema(fields);
    schemas.set(fields, schema);
  }
  return schema;
}

export interface FormIssue {
  path: string;
  message: string;
}

export type FormValidation = { ok: true; form: Record<string, unknown> } | { ok: false; issues: FormIssue[] };

/** Validates a submitted form; issues are named `form.<field>` so a client can show each next to its field. */
export function validateForm(fields: readonly FormField[], form: unknown): FormValidation {
  const result = cachedFormSchema(fields).safeParse(form);
  if (result.success) return { ok: true, form: result.data };
  const issues: FormIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: `form.${key}`, message: 'is not a field of this form' });
    } else {
      issues.push({ path: ['form', ...issue.path.map(String)].join('.'), message: issue.message });
    }
  }
  return { ok: false, issues };
}

/**
 * How many form fields hold exactly the value the population registry gave for their prefill source: the
 * citizen did not have to type them (DOMAIN.md: e-forms reuse registry data to cut the fields typed).
 */
export function countPrefilledFields(
  fields: readonly FormField[],
  form: Record<string, unknown>,
  values: Partial<Record<PrefillSource, string>>,
): number {
  let n = 0;
  for (const field of fields) {
    if (!field.prefill) continue;
    const expected = values[field.prefill];
    const actual = form[field.name];
    // Registry values are strings; form values of prefillable fields are strings (text, date, select, ID).
    if (expected !== undefined && typeof actual === 'string' && actual === expected) n++;
  }
  return n;
}

/** The value of the first form field prefilled from `source`, when the form has one and it is filled. */
export function formValueFor(
  fields: readonly FormField[],
  form: Record<string, unknown>,
  source: PrefillSource,
): string | undefined {
  for (const field of fields) {
    if (field.prefill !== source) continue;
    const v = form[field.name];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}
