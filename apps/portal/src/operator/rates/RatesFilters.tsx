import { useEffect, useId, useMemo, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { PERIODS, SCOPES, type Period, type Scope } from '../api/types';
import { ErrorMessage, Loading } from '../ui/AsyncState';
import { useLang } from '../ui/lang';
import { matches, optionLabel, useCodeOptions, type CodeOption } from './code-options';
import { filterProblems, type RatesFilter } from './filter';

/** Lists up to this long are a plain select; longer ones (agencies) a searchable text field. */
const SELECT_LIMIT = 100;
const SUGGESTIONS = 50;

/** The code an entry means: a code as typed, or the one in "Name (code)" picked from the suggestions. */
export function codeFromEntry(entry: string, options: readonly CodeOption[]): string | null {
  const text = entry.trim();
  if (!text) return '';
  const exact = options.find((o) => o.code.toLowerCase() === text.toLowerCase());
  if (exact) return exact.code;
  const inParens = /\(([^()]+)\)\s*$/.exec(text)?.[1];
  const named = inParens ? options.find((o) => o.code === inParens) : undefined;
  if (named) return named.code;
  const byName = options.filter(
    (o) => o.name.toLowerCase() === text.toLowerCase() || o.nameEn.toLowerCase() === text.toLowerCase(),
  );
  return byName.length === 1 && byName[0] ? byName[0].code : null;
}

export function RatesFilters({ value, onApply }: { value: RatesFilter; onApply: (f: RatesFilter) => void }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [entry, setEntry] = useState(value.code);
  const [problems, setProblems] = useState<string[]>([]);
  const options = useCodeOptions(draft.scope);
  const list = options.status === 'success' ? options.data : [];
  const useSelect = list.length <= SELECT_LIMIT;

  // The address changed under us (back button, a link): show what is applied.
  useEffect(() => {
    setDraft(value);
    setEntry(value.code);
    setProblems([]);
  }, [value]);

  const suggestions = useMemo(
    () => (useSelect ? [] : list.filter((o) => matches(o, entry)).slice(0, SUGGESTIONS)),
    [list, entry, useSelect],
  );

  const submit = (e: SyntheticEvent<HTMLFormElement>) => {
    e.preventDefault();
    const found: string[] = [...filterProblems(draft)];
    let code = '';
    if (draft.scope !== 'national') {
      const c = options.status === 'success' ? codeFromEntry(entry, list) : entry.trim();
      if (c === null) found.push('filters.problem.code');
      else code = c;
    }
    setProblems(found);
    if (found.length === 0) onApply({ ...draft, code });
  };

  const errorId = `${id}-problems`;
  const invalid = problems.length > 0;
  return (
    <form
      className="op-filters"
      onSubmit={submit}
      aria-describedby={invalid ? errorId : undefined}
      noValidate
      data-testid="rates-filters"
    >
      <div className="op-field">
        <label htmlFor={`${id}-scope`}>{t('filters.scope')}</label>
        <select
          id={`${id}-scope`}
          value={draft.scope}
          data-testid="rates-scope"
          onChange={(e) => {
            setDraft({ ...draft, scope: e.target.value as Scope, code: '' });
            setEntry('');
          }}
        >
          {SCOPES.map((s) => (
            <option key={s} value={s}>
              {t(`scope.${s}`)}
            </option>
          ))}
        </select>
      </div>

      {draft.scope !== 'national' ? (
        <div className="op-field op-field-wide">
          <label htmlFor={`${id}-code`}>{t(`filters.code.${draft.scope}`)}</label>
          {options.status === 'loading' ? <Loading label={t('filters.loadingCodes')} /> : null}
          {options.status === 'error' ? <ErrorMessage error={options.error} onRetry={options.reload} /> : null}
          {options.status === 'success' && useSelect ? (
            <select
              id={`${id}-code`}
              value={entry}
              data-testid="rates-code"
              onChange={(e) => {
                setEntry(e.target.value);
              }}
            >
              <option value="">{t('filters.allOf', { scope: t(`scope.${draft.scope}`) })}</option>
              {list.map((o) => (
                <option key={o.code} value={o.code}>
                  {optionLabel(o, lang)}
                </option>
              ))}
            </select>
          ) : null}
          {options.status === 'success' && !useSelect ? (
            <>
              <input
                id={`${id}-code`}
                type="search"
                list={`${id}-codes`}
                value={entry}
                autoComplete="off"
                placeholder={t('filters.codePlaceholder')}
                aria-invalid={problems.includes('filters.problem.code')}
                data-testid="rates-code"
                onChange={(e) => {
                  setEntry(e.target.value);
                }}
              />
              <datalist id={`${id}-codes`}>
                {suggestions.map((o) => (
                  <option key={o.code} value={optionLabel(o, lang)} />
                ))}
              </datalist>
            </>
          ) : null}
        </div>
      ) : null}

      <div className="op-field">
        <label htmlFor={`${id}-period`}>{t('filters.period')}</label>
        <select
          id={`${id}-period`}
          value={draft.period}
          data-testid="rates-period"
          onChange={(e) => {
            setDraft({ ...draft, period: e.target.value as Period });
          }}
        >
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {t(`period.${p}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="op-field">
        <label htmlFor={`${id}-from`}>{t('filters.from')}</label>
        <input
          id={`${id}-from`}
          type="date"
          value={draft.from}
          max={draft.to || undefined}
          aria-invalid={problems.some((p) => p !== 'filters.problem.code' && p !== 'filters.problem.to')}
          data-testid="rates-from"
          onChange={(e) => {
            setDraft({ ...draft, from: e.target.value });
          }}
        />
      </div>
      <div className="op-field">
        <label htmlFor={`${id}-to`}>{t('filters.to')}</label>
        <input
          id={`${id}-to`}
          type="date"
          value={draft.to}
          min={draft.from || undefined}
          aria-invalid={problems.includes('filters.problem.to') || problems.includes('filters.problem.order')}
          data-testid="rates-to"
          onChange={(e) => {
            setDraft({ ...draft, to: e.target.value });
          }}
        />
      </div>
      <div className="op-field op-field-actions">
        <button type="submit" className="op-button op-button-primary" data-testid="rates-apply">
          {t('filters.apply')}
        </button>
      </div>
      {invalid ? (
        <ul id={errorId} className="op-error op-field-wide" role="alert" data-testid="rates-filter-problems">
          {problems.map((p) => (
            <li key={p}>{t(p)}</li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
