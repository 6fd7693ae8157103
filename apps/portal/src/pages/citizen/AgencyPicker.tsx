import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { Agency, Procedure, Province } from '../../api/types';
import { ErrorMessage } from '../../components/AsyncState';

/**
 * Where the dossier goes: a ministry procedure has its one agency; a province procedure the province's service
 * centre; a commune procedure a commune of the chosen province.
 */
export function AgencyPicker({
  procedure,
  value,
  onChange,
  defaultProvince,
  error,
}: {
  procedure: Procedure;
  value: string;
  onChange: (code: string) => void;
  defaultProvince?: string | undefined;
  error?: string | null;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const [provinces, setProvinces] = useState<Province[] | null>(null);
  const [province, setProvince] = useState(defaultProvince ?? '');
  const [agencies, setAgencies] = useState<Agency[] | null>(null);
  const [ministry, setMinistry] = useState<Agency | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const level = procedure.agencyLevel;

  useEffect(() => {
    if (level === 'ministry') {
      const code = procedure.ministryAgencyCode;
      if (!code) return;
      onChange(code);
      api<Agency>(`/api/intake/agencies/${encodeURIComponent(code)}`).then(setMinistry, setLoadError);
      return;
    }
    api<Province[]>('/api/intake/provinces').then(setProvinces, setLoadError);
    // Only on the procedure: onChange is the parent's setter.
  }, [procedure.code, level]);

  useEffect(() => {
    if (defaultProvince && !province) setProvince(defaultProvince);
  }, [defaultProvince, province]);

  useEffect(() => {
    if (level !== 'commune' || !province) {
      setAgencies(null);
      return;
    }
    let cancelled = false;
    api<Agency[]>(`/api/intake/agencies?provinceCode=${encodeURIComponent(province)}&level=commune`).then(
      (a) => {
        if (!cancelled) setAgencies(a);
      },
      (e: unknown) => {
        if (!cancelled) setLoadError(e);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [level, province]);

  useEffect(() => {
    if (level === 'province') onChange(province ? `P${province}` : '');
  }, [level, province]);

  if (loadError) return <ErrorMessage error={loadError} />;
  if (level === 'ministry') {
    return (
      <div className="field">
        <span className="field-label">{t('apply.agency')}</span>
        <p data-testid="agency-fixed">
          {ministry ? (lang === 'en' ? ministry.nameEn : ministry.name) : (procedure.ministryAgencyCode ?? '')}
        </p>
      </div>
    );
  }
  return (
    <>
      <div className={`field${error && !province ? ' field--invalid' : ''}`}>
        <label htmlFor="agency-province">
          {level === 'province' ? t('apply.provinceAgency') : t('apply.province')}
        </label>
        <select
          id="agency-province"
          value={province}
          onChange={(e) => {
            setProvince(e.target.value);
            if (level === 'commune') onChange('');
          }}
          aria-invalid={error && !province ? true : undefined}
          aria-describedby={error ? 'agency-error' : undefined}
          data-testid="agency-province"
        >
          <option value="">{t('form.choose')}</option>
          {(provinces ?? []).map((p) => (
            <option key={p.code} value={p.code}>
              {level === 'province' ? t('apply.provinceCentre', { name: p.name }) : p.name}
            </option>
          ))}
        </select>
      </div>
      {level === 'commune' ? (
        <div className={`field${error && province ? ' field--invalid' : ''}`}>
          <label htmlFor="agency-commune">{t('apply.commune')}</label>
          <select
            id="agency-commune"
            value={value}
            disabled={!agencies}
            onChange={(e) => {
              onChange(e.target.value);
            }}
            aria-invalid={error && province ? true : undefined}
            aria-describedby={error ? 'agency-error' : undefined}
            data-testid="agency-commune"
          >
            <option value="">{agencies ? t('form.choose') : t('apply.chooseProvinceFirst')}</option>
            {(agencies ?? []).map((a) => (
              <option key={a.code} value={a.code}>
                {lang === 'en' ? a.nameEn : a.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {error ? (
        <p id="agency-error" className="field-error">
          {error}
        </p>
      ) : null}
    </>
  );
}
