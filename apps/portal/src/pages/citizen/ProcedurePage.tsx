import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/hooks';
import type { Procedure } from '../../api/types';
import { useSession } from '../../auth/session';
import { AsyncState } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { formatVnd, formatWorkingDays } from '../../i18n/format';
import { procedureName } from './CatalogPage';

/** One procedure: fee, processing time, documents, service level, the e-form's fields, and "apply online". */
export function ProcedurePage() {
  const { code = '' } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const { user } = useSession();
  const res = useApi<Procedure>(`/api/intake/procedures/${encodeURIComponent(code)}`);
  usePageTitle(res.data ? procedureName(res.data, lang) : t('procedure.title'));
  return (
    <section className="page" aria-labelledby="procedure-title">
      <p className="breadcrumb">
        <Link to="/">{t('nav.catalog')}</Link> › {code}
      </p>
      <AsyncState {...res}>
        {(p) => (
          <article data-testid="procedure" data-code={p.code}>
            <h1 id="procedure-title">{procedureName(p, lang)}</h1>
            <p className="muted">
              {t('procedure.code')}: <span className="code">{p.code}</span> ·{' '}
              {t(`areas.${p.area}`, { defaultValue: p.area })}
            </p>
            <dl className="facts facts--wide">
              <div>
                <dt>{t('procedure.fee')}</dt>
                <dd data-testid="procedure-fee">{p.feeVnd > 0 ? formatVnd(p.feeVnd) : t('procedure.free')}</dd>
              </div>
              <div>
                <dt>{t('procedure.processingTime')}</dt>
                <dd data-testid="procedure-time">{formatWorkingDays(p.processingWorkingDays)}</dd>
              </div>
              <div>
                <dt>{t('procedure.serviceLevel')}</dt>
                <dd data-testid="procedure-level">
                  <span className={`badge ${p.serviceLevel === 'FULL' ? 'badge--ok' : 'badge--neutral'}`}>
                    {t(`serviceLevel.${p.serviceLevel}`)}
                  </span>
                  <span className="small block">{t(`serviceLevelHelp.${p.serviceLevel}`)}</span>
                </dd>
              </div>
              <div>
                <dt>{t('procedure.agencyLevel')}</dt>
                <dd>{t(`levels.${p.agencyLevel}`)}</dd>
              </div>
              <div>
                <dt>{t('procedure.vneid')}</dt>
                <dd>
                  {p.requiredVneidLevel > 0
                    ? t('procedure.vneidLevel', { level: p.requiredVneidLevel })
                    : t('procedure.vneidNone')}
                </dd>
              </div>
            </dl>
            {p.feeVnd > 0 ? <p className="small">{t('procedure.feeNote')}</p> : null}
            <h2>{t('procedure.documents')}</h2>
            {p.requiredDocuments.length === 0 ? (
              <p>{t('procedure.noDocuments')}</p>
            ) : (
              <ul className="doc-list" data-testid="procedure-documents">
                {p.requiredDocuments.map((d) => (
                  <li key={d.name}>
                    {lang === 'en' ? d.nameEn : d.name}{' '}
                    <span className="small">({d.required ? t('procedure.required') : t('procedure.optional')})</span>
                  </li>
                ))}
              </ul>
            )}
            <h2>{t('procedure.formFields')}</h2>
            <ul className="doc-list">
              {p.form.map((f) => (
                <li key={f.name}>
                  {lang === 'en' ? f.labelEn : f.label}
                  {f.prefill ? (
                    <span className="badge badge--info small-badge">{t('procedure.prefillable')}</span>
                  ) : null}
                </li>
              ))}
            </ul>
            <div className="actions">
              {user && user.role !== 'citizen' ? (
                <p className="small">{t('procedure.citizensOnly')}</p>
              ) : (
                <Link
                  className="button button--primary"
                  to={`/procedures/${encodeURIComponent(p.code)}/apply`}
                  data-testid="apply-button"
                >
                  {t('procedure.apply')}
                </Link>
              )}
              {p.serviceLevel === 'PARTIAL' ? <p className="small">{t('procedure.partialNote')}</p> : null}
            </div>
          </article>
        )}
      </AsyncState>
    </section>
  );
}
