import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { FormField } from '@hoso/e-forms';
import type { EFormState } from './useEForm';
import { errorMessage, isLockedPrefill, prefillOf } from './validation';

/** The label of a field in the current language (the catalog gives both). */
/** The id of a field's input, for links from an error summary. */
export function fieldId(idPrefix: string, name: string): string {
  return `${idPrefix}-${name}`;
}

export function fieldLabel(field: FormField, lang: string): string {
  return lang === 'en' ? field.labelEn || field.label : field.label || field.labelEn;
}

interface FieldProps {
  field: FormField;
  form: EFormState;
  idPrefix: string;
  lang: string;
}

function FieldInput({ field, form, idPrefix, lang }: FieldProps) {
  const { t } = useTranslation();
  const id = fieldId(idPrefix, field.name);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const value = form.values[field.name];
  const error = form.visibleErrors[field.name];
  const pre = prefillOf(field, form.prefill);
  const locked = isLockedPrefill(field, form.prefill);
  const changed = pre !== undefined && String(value) !== pre;
  const label = fieldLabel(field, lang);
  const hints: string[] = [];
  if (field.type === 'date') hints.push(t('form.hints.date'));
  if (field.type === 'phone') hints.push(t('form.hints.phone'));
  if (field.type === 'personalId') hints.push(t('form.hints.personalId'));
  if (field.type === 'number' && field.min !== undefined && field.max !== undefined) {
    hints.push(t('form.hints.range', { min: field.min, max: field.max }));
  }
  const describedBy = [hints.length ? hintId : null, pre !== undefined ? `${id}-prefill` : null, error ? errorId : null]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: field.name,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    'aria-required': field.required || undefined,
    'data-testid': `field-${field.name}`,
    onBlur: () => {
      form.touch(field.name);
    },
  } as const;
  const text = typeof value === 'string' ? value : '';
  const onText = (v: string) => {
    form.setValue(field.name, v);
  };

  let control;
  switch (field.type) {
    case 'boolean':
      control = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => {
            form.setValue(field.name, e.target.checked);
            form.touch(field.name);
          }}
        />
      );
      break;
    case 'select':
      control = (
        <select
          {...common}
          value={text}
          disabled={locked}
          onChange={(e) => {
            onText(e.target.value);
            form.touch(field.name);
          }}
        >
          <option value="">{t('form.choose')}</option>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      control = (
        <input
          {...common}
          type="number"
          inputMode="decimal"
          min={field.min}
          max={field.max}
          step="any"
          value={text}
          readOnly={locked}
          onChange={(e) => {
            onText(e.target.value);
          }}
        />
      );
      break;
    case 'date':
      control = (
        <input
          {...common}
          type="date"
          value={text}
          readOnly={locked}
          onChange={(e) => {
            onText(e.target.value);
          }}
        />
      );
      break;
    case 'email':
    case 'phone':
    case 'personalId':
    case 'text':
      control = (
        <input
          {...common}
          type={field.type === 'email' ? 'email' : field.type === 'phone' ? 'tel' : 'text'}
          inputMode={field.type === 'personalId' ? 'numeric' : field.type === 'phone' ? 'tel' : undefined}
          autoComplete={field.type === 'email' ? 'email' : field.type === 'phone' ? 'tel' : 'off'}
          value={text}
          readOnly={locked}
          onChange={(e) => {
            onText(e.target.value);
          }}
        />
      );
      break;
  }

  const isCheckbox = field.type === 'boolean';
  return (
    <div className={`field${isCheckbox ? ' field--checkbox' : ''}${error ? ' field--invalid' : ''}`}>
      {isCheckbox ? (
        <label htmlFor={id} className="checkbox-label">
          {control}
          <span>
            {label}
            {field.required ? (
              <span className="required" aria-hidden="true">
                {' '}
                *
              </span>
            ) : null}
          </span>
        </label>
      ) : (
        <>
          <label htmlFor={id}>
            {label}
            {field.required ? (
              <span className="required" aria-hidden="true">
                {' '}
                *
              </span>
            ) : (
              <span className="optional"> ({t('form.optional')})</span>
            )}
          </label>
          {control}
        </>
      )}
      {hints.length ? (
        <p id={hintId} className="hint">
          {hints.join(' ')}
        </p>
      ) : null}
      {pre !== undefined ? (
        <p
          id={`${id}-prefill`}
          className={`prefill-badge${changed ? ' prefill-badge--changed' : ''}`}
          data-testid={`prefilled-${field.name}`}
          data-prefill-state={locked ? 'locked' : changed ? 'changed' : 'prefilled'}
        >
          {locked ? t('form.prefillLocked') : changed ? t('form.prefillChanged') : t('form.prefilled')}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="field-error" data-testid={`error-${field.name}`}>
          {errorMessage(t, field, error)}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Renders a procedure's e-form from its definition: every field type of the catalog, with labels in the current
 * language, required marks, prefilled fields marked (and the personal ID locked), and each field's error.
 */
export function FormRenderer({ form, legend, idPrefix }: { form: EFormState; legend?: string; idPrefix?: string }) {
  const { t, i18n } = useTranslation();
  const generated = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const prefix = idPrefix ?? `f${generated}`;
  const lang = i18n.resolvedLanguage ?? i18n.language;
  return (
    <fieldset className="eform" data-testid="eform">
      <legend>{legend ?? t('form.legend')}</legend>
      <p className="hint">{t('form.requiredNote')}</p>
      {form.fields.map((f) => (
        <FieldInput key={f.name} field={f} form={form} idPrefix={prefix} lang={lang} />
      ))}
    </fieldset>
  );
}
