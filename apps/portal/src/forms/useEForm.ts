import { useCallback, useMemo, useState } from 'react';
import type { FormField } from '@hoso/e-forms';
import {
  initialValues,
  toSubmission,
  validateValues,
  type FieldError,
  type RawValue,
  type RawValues,
} from './validation';

export interface EFormState {
  fields: readonly FormField[];
  values: RawValues;
  /** Registry values by prefill source (what identity's prefill answered). */
  prefill: Readonly<Record<string, string>>;
  /** The errors to show now: a field's own once touched (or after a submit attempt), else the server's. */
  visibleErrors: Record<string, FieldError>;
  /** Every client-side error, shown or not. */
  errors: Record<string, FieldError>;
  setValue: (name: string, value: RawValue) => void;
  touch: (name: string) => void;
  /** Marks every field touched; true when the form is valid as intake would judge it. */
  validateAll: () => boolean;
  /** Errors intake reported for the last submission (cleared field by field as the citizen edits). */
  setServerErrors: (errors: Record<string, FieldError>) => void;
  submission: () => Record<string, unknown>;
  /** Resets the inputs, e.g. when the prefill answer arrives after the form rendered. */
  reset: (prefill?: Readonly<Record<string, string>>) => void;
}

export function useEForm(fields: readonly FormField[], prefill: Readonly<Record<string, string>> = {}): EFormState {
  const [values, setValues] = useState<RawValues>(() => initialValues(fields, prefill));
  const [prefillValues, setPrefillValues] = useState(prefill);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [server, setServer] = useState<Record<string, FieldError>>({});

  const errors = useMemo(() => validateValues(fields, values), [fields, values]);
  const visibleErrors = useMemo(() => {
    const shown: Record<string, FieldError> = {};
    for (const f of fields) {
      const own = touched[f.name] ? errors[f.name] : undefined;
      const fromServer = server[f.name];
      if (own) shown[f.name] = own;
      else if (fromServer) shown[f.name] = fromServer;
    }
    return shown;
  }, [fields, errors, touched, server]);

  const setValue = useCallback((name: string, value: RawValue) => {
    setValues((v) => ({ ...v, [name]: value }));
    setServer((s) => (name in s ? Object.fromEntries(Object.entries(s).filter(([k]) => k !== name)) : s));
  }, []);
  const touch = useCallback((name: string) => {
    setTouched((t) => (t[name] ? t : { ...t, [name]: true }));
  }, []);
  const validateAll = useCallback(() => {
    setTouched(Object.fromEntries(fields.map((f) => [f.name, true])));
    return Object.keys(errors).length === 0;
  }, [fields, errors]);
  const submission = useCallback(() => toSubmission(fields, values), [fields, values]);
  const reset = useCallback(
    (p: Readonly<Record<string, string>> = {}) => {
      setPrefillValues(p);
      setValues(initialValues(fields, p));
      setTouched({});
      setServer({});
    },
    [fields],
  );

  return {
    fields,
    values,
    prefill: prefillValues,
    visibleErrors,
    errors,
    setValue,
    touch,
    validateAll,
    setServerErrors: setServer,
    submission,
    reset,
  };
}
