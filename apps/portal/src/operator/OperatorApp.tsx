/**
 * Operator dashboard (route /operator/*): live operations (/operator), completion-rate metrics (/operator/rates),
 * staff accounts (/operator/staff) and the services' audit trails (/operator/audit). Only an operator sees any of
 * them; the stream and every call also require the role server-side.
 *
 * Stable data-testids (for end-to-end tests):
 *   operator-app, operator-nav, operator-forbidden, operator-not-found
 *   overview: operator-overview, operator-overview-loading, operator-overview-error,
 *     operator-live, operator-live-status (data-status = connecting|live|reconnecting|failed), operator-stale,
 *     operator-live-error, operator-live-summary, operator-live-submitted, operator-live-rate-<rate>,
 *     throughput-section, throughput-topic, throughput-chart, throughput-table, throughput-row (data-topic),
 *     lag-section, lag-table, lag-row (data-group), lag-sparkline,
 *     dlq-section, dlq-card (data-topic, data-depth), dlq-depth, dlq-inspect,
 *     dlq-drawer, dlq-message (data-id), dlq-message-error, dlq-payload, dlq-empty,
 *     dlq-replay, dlq-replay-button, dlq-replay-confirm, dlq-replay-yes, dlq-replay-no, dlq-replay-result,
 *     dlq-replay-error,
 *     queues-section, queues-table, queue-row (data-queue, data-failed), queue-<waiting|active|completed|failed|
 *     delayed|paused>
 *   rates: operator-rates, rates-filters, rates-scope, rates-code, rates-period, rates-from, rates-to, rates-apply,
 *     rates-filter-problems, operator-rates-table, rates-row (data-key), rates-submitted, rate-<rate> (data-value),
 *     rates-total-row, operator-total-submitted, operator-rates-empty, operator-rates-asof,
 *     operator-trend, operator-trend-chart, operator-trend-table, trend-row (data-period), operator-trend-empty,
 *     operator-snapshot, operator-snapshot-button, operator-snapshot-result, operator-snapshot-error
 *   staff (/operator/staff): operator-staff, operator-staff-error, staff-create-form, staff-form-<username|agencyCode|
 *     name>, staff-create-submit, staff-one-time-password, staff-one-time-password-value, staff-table, staff-row
 *     (data-username), staff-state, staff-disable, staff-enable, staff-reset
 *   audit (/operator/audit): operator-audit, audit-service (data-service, data-status = loading|error|verified|
 *     broken), audit-verdict, audit-reload, audit-entries, audit-entry (data-seq, data-broken), audit-empty
 *   everywhere: operator-loading, operator-error, operator-part-error (one section unreadable this round)
 *   <rate> is one of completion, onTime, endToEnd, onlineSubmission, onlinePayment, satisfaction.
 */
import { useTranslation } from 'react-i18next';
import { NavLink, Route, Routes } from 'react-router';
import { useSession } from '../auth/session';
import { AuditTrailPage } from './audit/AuditTrailPage';
import { registerOperatorTexts } from './i18n/register';
import { OverviewPage } from './overview/OverviewPage';
import { RatesPage } from './rates/RatesPage';
import { StaffAccountsPage } from './staff/StaffAccountsPage';
import './ui/operator.css';

registerOperatorTexts();

/** Links are absolute: relative links inside a splat route resolve against the whole address in react-router 7. */
const OPERATOR_BASE = '/operator';

export default function OperatorApp() {
  const { user } = useSession();
  const { t } = useTranslation('operator');

  // The shell guards the route too; this keeps the dashboard from ever opening its stream for anyone else.
  if (user?.role !== 'operator') {
    return (
      <section className="op" aria-labelledby="op-forbidden-title" data-testid="operator-forbidden">
        <h1 id="op-forbidden-title">{t('forbidden.title')}</h1>
        <p>{t('forbidden.body')}</p>
      </section>
    );
  }

  return (
    <div className="op" data-testid="operator-app">
      <nav className="op-nav" aria-label={t('nav.label')} data-testid="operator-nav">
        <NavLink to={OPERATOR_BASE} end className={navClass}>
          {t('nav.overview')}
        </NavLink>
        <NavLink to={`${OPERATOR_BASE}/rates`} className={navClass}>
          {t('nav.rates')}
        </NavLink>
        <NavLink to={`${OPERATOR_BASE}/staff`} className={navClass}>
          {t('nav.staff')}
        </NavLink>
        <NavLink to={`${OPERATOR_BASE}/audit`} className={navClass}>
          {t('nav.audit')}
        </NavLink>
      </nav>
      <Routes>
        <Route index element={<OverviewPage />} />
        <Route path="rates" element={<RatesPage />} />
        <Route path="staff" element={<StaffAccountsPage />} />
        <Route path="audit" element={<AuditTrailPage />} />
        <Route
          path="*"
          element={
            <section className="op-page" data-testid="operator-not-found">
              <h1>{t('notFound.title')}</h1>
              <p>
                <NavLink to={OPERATOR_BASE}>{t('notFound.back')}</NavLink>
              </p>
            </section>
          }
        />
      </Routes>
    </div>
  );
}

function navClass({ isActive }: { isActive: boolean }): string {
  return isActive ? 'op-nav-link op-nav-active' : 'op-nav-link';
}
