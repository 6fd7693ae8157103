import { useTranslation } from 'react-i18next';
import { ErrorMessage, Loading } from '../ui/AsyncState';
import { formatDateTime } from '../../i18n/format';
import { useLang } from '../ui/lang';
import { TableScroll } from '../ui/TableScroll';
import { useApi } from '../ui/useApi';
import { useDocumentTitle } from '../ui/useDocumentTitle';
import { AUDITED_SERVICES, auditTrailPath, type AuditedService, type AuditTrailView } from './audit-trail';

/**
 * Route /operator/audit: each service's audit trail, verified from its first entry on every load (the service walks
 * the hash chain), with the verdict in words and colour — verified, or BROKEN at the first entry that no longer
 * holds — and its latest entries. One unreadable service does not hide the others.
 */
export function AuditTrailPage() {
  const { t } = useTranslation('operator');
  useDocumentTitle(t('auditTrail.title'));
  return (
    <section className="op-page" data-testid="operator-audit">
      <h1>{t('auditTrail.title')}</h1>
      <p className="op-muted">{t('auditTrail.intro')}</p>
      {AUDITED_SERVICES.map((s) => (
        <ServiceTrail key={s} service={s} />
      ))}
    </section>
  );
}

function ServiceTrail({ service }: { service: AuditedService }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const trail = useApi<AuditTrailView>(auditTrailPath(service));
  const titleId = `audit-${service}-title`;
  const status = trail.status === 'success' ? (trail.data.verification.ok ? 'verified' : 'broken') : trail.status;
  return (
    <section
      className="op-card"
      aria-labelledby={titleId}
      data-testid="audit-service"
      data-service={service}
      data-status={status}
    >
      <div className="op-section-head">
        <h2 id={titleId}>{t(`auditTrail.service.${service}`)}</h2>
        <button type="button" className="op-button" onClick={trail.reload} data-testid="audit-reload">
          {t('auditTrail.verifyAgain')}
        </button>
      </div>
      {trail.status === 'loading' || trail.status === 'idle' ? <Loading label={t('auditTrail.verifying')} /> : null}
      {trail.status === 'error' ? <ErrorMessage error={trail.error} onRetry={trail.reload} /> : null}
      {trail.status === 'success' ? (
        <>
          {trail.data.verification.ok ? (
            <p className="op-success" role="status" data-testid="audit-verdict">
              <strong>✔ {t('auditTrail.verified')}</strong>{' '}
              {t('auditTrail.verifiedDetail', {
                count: trail.data.verification.entries,
                head: trail.data.verification.headHash.slice(0, 16),
              })}
            </p>
          ) : (
            <p className="op-error" role="alert" data-testid="audit-verdict">
              <strong>✘ {t('auditTrail.broken', { seq: trail.data.verification.brokenAt })}</strong>{' '}
              {trail.data.verification.reason}
            </p>
          )}
          {trail.data.entries.length === 0 ? (
            <p className="op-muted" data-testid="audit-empty">
              {t('auditTrail.empty')}
            </p>
          ) : (
            <TableScroll label={t('auditTrail.entriesOf', { service: t(`auditTrail.service.${service}`) })}>
              <table className="op-table" data-testid="audit-entries">
                <thead>
                  <tr>
                    <th scope="col">{t('auditTrail.column.seq')}</th>
                    <th scope="col">{t('auditTrail.column.at')}</th>
                    <th scope="col">{t('auditTrail.column.action')}</th>
                    <th scope="col">{t('auditTrail.column.outcome')}</th>
                    <th scope="col">{t('auditTrail.column.actor')}</th>
                    <th scope="col">{t('auditTrail.column.resource')}</th>
                    <th scope="col">{t('auditTrail.column.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {trail.data.entries.map((e) => {
                    const broken = !trail.data.verification.ok && e.seq >= trail.data.verification.brokenAt;
                    return (
                      <tr
                        key={e.seq}
                        data-testid="audit-entry"
                        data-seq={e.seq}
                        {...(broken ? { className: 'op-error-inline', 'data-broken': 'true' } : {})}
                      >
                        <td>{e.seq}</td>
                        <td>{formatDateTime(e.recordedAt, lang)}</td>
                        <td>{e.action ?? t('auditTrail.unreadable')}</td>
                        <td>{e.outcome ? t(`auditTrail.outcome.${e.outcome}`, { defaultValue: e.outcome }) : '—'}</td>
                        <td>{e.actor ? `${e.actor.sub} (${e.actor.role})` : '—'}</td>
                        <td>{e.resource ?? '—'}</td>
                        <td>{e.reason ?? '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      ) : null}
    </section>
  );
}
