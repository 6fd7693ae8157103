/**
 * The e-form in the browser: raw input values → the form object intake receives, validated with intake's own
 * rules (`@hoso/e-forms`), each problem turned into a translatable error next to its field.
 */
import type { TFunction } from 'i18next';
import { buildFormSchema, type FormField } from '@hoso/e-forms';
import type { ApiIssue } from '../api/client';

/** What an input holds: text of every kind, or a checkbox state. */
export type RawValue = string | boolean;
export type RawValues = Record<string, RawValue>;

export type FieldErrorKind =
  | 'required'
  | 'type'
  | 'tooShort'
  | 'tooLong'
  | 'tooSmall'
  | 'tooBig'
  | 'format'
  | 'email'
  | 'phone'
  | 'personalId'
  | 'date'
  | 'option'
  | 'number'
  | 'unknown';

export interface FieldError {
  kind: FieldErrorKind;
  /** The bound of a length or range error. */
  limit?: number;
  /** The server's own words (an error intake reported that the browser did not foresee). */
  message?: string;
}

/** The initial input values: the registry's value for a prefilled field, else empty (unchecked). */
export function initialValues(fields: readonly FormField[], prefill: Readonly<Record<string, string>> = {}): RawValues {
  const values: RawValues = {};
  for (const f of fields) {
    const pre = f.prefill ? prefill[f.prefill] : undefined;
    if (f.type === 'boolean') values[f.name] = pre === 'true';
    else values[f.name] = pre ?? '';
  }
  return values;
}

/** The registry value a field was prefilled with (undefined when none). */
export function prefillOf(field: FormField, prefill: Readonly<Record<string, string>>): string | undefined {
  return field.prefill ? prefill[field.prefill] : undefined;
}

/**
 * A prefilled field the citizen may not change: intake refuses a personal ID other than the signed-in
 * applicant's, so the registry's value is shown read-only. Other prefilled fields stay editable (a changed value
 * is simply no longer counted as prefilled).
 */
export function isLockedPrefill(field: FormField, prefill: Readonly<Record<string, string>>): boolean {
  return field.prefill === 'personalId' && prefillOf(field, prefill) !== undefined;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The form object to submit: empty optional inputs are left out (intake treats a missing optional field as not
 * given, while an empty string would fail its format rule), numbers become numbers, checkboxes booleans.
 */
export function toSubmission(fields: readonly FormField[], values: Readonly<RawValues>): Record<string, unknown> {
  const form: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = values[f.name];
    if (f.type === 'boolean') {
      form[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    const trimmed = text.trim();
    if (trimmed === '') {
      // A required text field sent empty gets intake's "is required"; every other empty input is "not given".
      if (f.required && f.type === 'text') form[f.name] = text;
      continue;
    }
    switch (f.type) {
      case 'number':
        form[f.name] = NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
        break;
      case 'text':
        form[f.name] = text;
        break;
      case 'email':
      case 'phone':
      case 'personalId':
      case 'date':
      case 'select':
        form[f.name] = trimmed;
        break;
    }
  }
  return form;
}

interface ZodLikeIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
}

/** A value of the wrong shape, named after what the field holds. */
function formatKind(type: FormField['type']): FieldErrorKind {
  switch (type) {
    case 'email':
      return 'email';
    case 'phone':
      return 'phone';
    case 'personalId':
      return 'personalId';
    case 'date':
      return 'date';
    case 'text':
    case 'number':
    case 'select':
    case 'boolean':
      return 'format';
  }
}

function errorOf(field: FormField, issue: ZodLikeIssue, submitted: unknown): FieldError {
  const limit = (v: number | bigint | undefined) => (v === undefined ? undefined : Number(v));
  // Zod does not report the input by default; the value is known here: a missing one is "required".
  if (submitted === undefined) return { kind: 'required' };
  switch (issue.code) {
    case 'invalid_type':
      return { kind: field.type === 'number' ? 'number' : 'type' };
    case 'too_small': {
      const min = limit(issue.minimum);
      if (issue.origin === 'number') return { kind: 'tooSmall', ...(min !== undefined ? { limit: min } : {}) };
      // The text rule "required" is a minimum length of 1 with its own message.
      if (issue.message === 'is required') return { kind: 'required' };
      return { kind: 'tooShort', ...(min !== undefined ? { limit: min } : {}) };
    }
    case 'too_big': {
      const max = limit(issue.maximum);
      return { kind: issue.origin === 'number' ? 'tooBig' : 'tooLong', ...(max !== undefined ? { limit: max } : {}) };
    }
    case 'invalid_format':
      return { kind: formatKind(field.type) };
    case 'invalid_value':
      return { kind: 'option' };
    default:
      return { kind: 'unknown', message: issue.message };
  }
}

/** The first problem of each field (by field name), exactly as intake would judge the submitted form. */
export function validateValues(fields: readonly FormField[], values: Readonly<RawValues>): Record<string, FieldError> {
  const submission = toSubmission(fields, values);
  const result = buildFormSchema(fields).safeParse(submission);
  const errors: Record<string, FieldError> = {};
  if (result.success) return errors;
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const issue of result.error.issues as ZodLikeIssue[]) {
    const name = issue.path[0];
    if (typeof name !== 'string') continue;
    const field = byName.get(name);
    if (!field || errors[name]) continue;
    errors[name] = errorOf(field, issue, submission[name]);
  }
  return errors;
}

/** The user-facing sentence of an error, in the current language. */
export function errorMessage(t: TFunction, field: FormField, error: FieldError): string {
  switch (error.kind) {
    case 'required':
      return t(
        field.type === 'select' || field.type === 'boolean' ? 'form.errors.requiredChoice' : 'form.errors.required',
      );
    case 'tooShort':
      return t('form.errors.tooShort', { count: error.limit ?? 0 });
    case 'tooLong':
      return t('form.errors.tooLong', { count: error.limit ?? 0 });
    case 'tooSmall':
      return t('form.errors.tooSmall', { limit: error.limit ?? 0 });
    case 'tooBig':
      return t('form.errors.tooBig', { limit: error.limit ?? 0 });
    case 'format':
      return t('form.errors.format');
    case 'email':
      return t('form.errors.email');
    case 'phone':
      return t('form.errors.phone');
    case 'personalId':
      return t('form.errors.personalId');
    case 'date':
      return t('form.errors.date');
    case 'option':
      return t('form.errors.option');
    case 'number':
      return t('form.errors.number');
    case 'type':
      return t('form.errors.type');
    case 'unknown':
      return error.message ?? t('form.errors.type');
  }
}

/**
 * Intake's 400 issues placed on the form: `form.<field>` onto that field (in the server's words), anything else
 * (agency, attachments, prefill token, the applicant's identity) into a list shown above the form.
 */
export function serverErrors(
  fields: readonly FormField[],
  issues: readonly ApiIssue[],
): { byField: Record<string, FieldError>; other: ApiIssue[] } {
  const names = new Set(fields.map((f) => f.name));
  const byField: Record<string, FieldError> = {};
  const other: ApiIssue[] = [];
  for (const issue of issues) {
    const m = /^form\.([^.]+)/.exec(issue.path);
    const name = m?.[1];
    if (name && names.has(name)) {
      byField[name] ??= { kind: 'unknown', message: issue.message };
    } else other.push(issue);
  }
  return { byField, other };
}
