import { useEffect, useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { useApi } from '../../api/hooks';
import type { CaseView, Dossier, Procedure, Timeline as TimelineData } from '../../api/types';
import { AsyncState, ErrorMessage } from '../../components/AsyncState';
import { DossierDetails } from '../../components/DossierDetails';
import { usePageTitle } from '../../components/PageTitle';
import { StatusBadge } from '../../components/StatusBadge';
import { mergeSteps, Timeline } from '../../components/Timeline';
import { formatDate, formatDateTime } from '../../i18n/format';
import { procedureName } from './CatalogPage';
import {
  PaymentPanel,
  ResultPanel,
  splitAttachments,
  SupplementDocuments,
  SupplementPanel,
  WithdrawPanel,
} from './DossierPanels';

/** Statuses another service will move soon on its own: read often until they do. */
const MOVING = new Set(['SUBMITTED', 'IDENTITY_VERIFIED', 'PAID', 'WAIVED']);
const TERMINAL = new Set(['IDENTITY_REJECTED', 'EXPIRED', 'COMPLETED', 'WITHDRAWN']);
const WITHDRAWABLE = new Set([
  'SUBMITTED',
  'IDENTITY_VERIFIED',
  'AWAITING_PAYMENT',
  'PAYMENT_FAILED',
  'PAID',
  'WAIVED',
  'RECEIVED',
  'IN_PROCESS',
  'SUPPLEMENT_REQUESTED',
  'TRANSFERRED',
]);

const STEPS = ['submitted', 'identity', 'payment', 'processing', 'result'] as const;

function stepIndex(status: string): number {
  switch (status) {
    case 'SUBMITTED':
    case 'IDENTITY_REJECTED':
      return 0;
    case 'IDENTITY_VERIFIED':
    case 'AWAITING_PAYMENT':
    case 'PAYMENT_FAILED':
    case 'EXPIRED':
      return 2;
    case 'PAID':
    case 'WAIVED':
    case 'RECEIVED':
    case 'IN_PROCESS':
    case 'SUPPLEMENT_REQUESTED':
    case 'TRANSFERRED':
      return 3;
    default:
      return 4;
  }
}

function Stepper({ status }: { status: string }) {
  const { t } = useTranslation();
  const at = stepIndex(status);
  const done = status === 'COMPLETED';
  return (
    <ol className="stepper" aria-label={t('dossier.progress')}>
      {STEPS.map((s, i) => (
        <li
          key={s}
          className={i < at || done ? 'stepper__step--done' : i === at ? 'stepper__step--current' : undefined}
          aria-current={i === at && !done ? 'step' : undefined}
        >
          <span className="stepper__dot" aria-hidden="true">
            {i < at || done ? '✓' : i + 1}
          </span>
          <span>{t(`dossier.steps.${s}`)}</span>
        </li>
      ))}
    </ol>
  );
}

/** The timeline (case-tracking) and the case: 404 until case-tracking has heard of the dossier. */
function useTimeline(dossierId: string, version: string, pollMs: number | null) {
  const [timeline, setTimeline] = useState<TimelineData | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    const read = () =>
      api<TimelineData>(`/api/cases/dossiers/${dossierId}/timeline`).then(
        (tl) => {
          if (!cancelled) {
            setTimeline(tl);
            setError(null);
          }
        },
        (e: unknown) => {
          if (cancelled) return;
          if (e instanceof ApiError && e.status === 404) setTimeline(null);
          else setError(e);
        },
      );
    void read();
    const id = pollMs ? setInterval(() => void read(), pollMs) : undefined;
    return () => {
      cancelled = true;
      if (id) clearInterval(id);
    };
  }, [dossierId, version, pollMs]);
  return { timeline, error };
}

function DossierView({ dossier, reload }: { dossier: Dossier; reload: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const [params] = useSearchParams();
  const location = useLocation();
  const returning = params.get('payment') === 'return';
  const submitted = params.get('submitted') === '1';
  const procedure = useApi<Procedure>(`/api/intake/procedures/${encodeURIComponent(dossier.procedureCode)}`);
  const terminal = TERMINAL.has(dossier.status);
  const pollMs = terminal ? null : MOVING.has(dossier.status) || returning ? 2500 : 15_000;
  const { timeline, error: timelineError } = useTimeline(dossier.id, `${dossier.status}@${dossier.statusAt}`, pollMs);
  const caseId = timeline?.caseId ?? null;
  const caseRes = useApi<CaseView>(caseId ? `/api/cases/cases/${caseId}` : null);
  const caseView = caseRes.data;
  const { reload: reloadCase } = caseRes;
  useEffect(() => {
    if (caseId) reloadCase();
  }, [dossier.status, dossier.statusAt, caseId, reloadCase]);

  // The case asks for documents before intake's copy of the dossier has heard of it (a moment later): read the
  // dossier often until it has, since intake takes supplement files only then.
  const dossierBehind = caseView?.status === 'SUPPLEMENT_REQUESTED' && dossier.status !== 'SUPPLEMENT_REQUESTED';
  useEffect(() => {
    if (!dossierBehind) return;
    const id = setInterval(reload, 2000);
    return () => {
      clearInterval(id);
    };
  }, [dossierBehind, reload]);

  const steps = mergeSteps(timeline?.entries ?? [], dossier.history);
  const supplementRequest = [...steps].reverse().find((s) => s.kind === 'case.SUPPLEMENT_REQUESTED')?.detail['reason'];
  const state = location.state as { receiptCode?: string } | null;
  const showPayment =
    dossier.feeVnd > 0 && !['SUBMITTED', 'IDENTITY_VERIFIED', 'IDENTITY_REJECTED'].includes(dossier.status);
  const documents = splitAttachments(dossier);
  const refreshAll = () => {
    reload();
    reloadCase();
  };

  return (
    <article data-testid="dossier" data-dossier-id={dossier.id} data-status={dossier.status}>
      {submitted ? (
        <div className="alert alert--ok" role="status" data-testid="submitted-banner">
          <p>
            <strong>{t('dossier.submittedTitle')}</strong> {t('dossier.submittedText')}
          </p>
          <p className="receipt">
            {t('dossier.receiptCode')}:{' '}
            <span className="code code--big">{state?.receiptCode ?? dossier.receiptCode}</span>
          </p>
        </div>
      ) : null}
      <header className="dossier-head">
        <div>
          <h1 id="dossier-title">{procedure.data ? procedureName(procedure.data, lang) : dossier.procedureCode}</h1>
          <p className="muted">
            {t('dossier.receiptCode')}:{' '}
            <span className="code" data-testid="receipt-code">
              {dossier.receiptCode}
            </span>{' '}
            · {t('dossier.submittedAt')} {formatDateTime(dossier.submittedAt)}
          </p>
        </div>
        <div className="dossier-head__status">
          <StatusBadge status={dossier.status} testId="dossier-status" />
          <span className="small">{formatDateTime(dossier.statusAt)}</span>
        </div>
      </header>
      <Stepper status={dossier.status} />
      {!terminal && MOVING.has(dossier.status) ? (
        <p className="small" role="status" data-testid="status-waiting">
          <span className="spinner" aria-hidden="true" /> {t(`dossier.waiting.${dossier.status}`)}
        </p>
      ) : null}
      {dossier.status === 'IDENTITY_REJECTED' ? (
        <div className="alert alert--error" data-testid="identity-rejected">
          {t('dossier.identityRejected', {
            reason: dossier.history.find((h) => h.status === 'IDENTITY_REJECTED')?.reason ?? '',
          })}
        </div>
      ) : null}
      {caseView ? (
        <p data-testid="sla-due">
          {t('dossier.dueBy', { date: formatDate(caseView.dueAt) })}
          {caseView.overdue ? <span className="badge badge--bad">{t('queue.overdue')}</span> : null}
          {caseView.status === 'SUPPLEMENT_REQUESTED' ? (
            <span className="badge badge--warn">{t('case.clockPaused')}</span>
          ) : null}
        </p>
      ) : null}

      {showPayment ? (
        <PaymentPanel
          dossierId={dossier.id}
          status={dossier.status}
          returning={returning}
          pollMs={dossier.status === 'AWAITING_PAYMENT' ? 3000 : null}
        />
      ) : null}
      {caseView?.status === 'SUPPLEMENT_REQUESTED' ? (
        <SupplementPanel
          caseView={caseView}
          dossierStatus={dossier.status}
          request={typeof supplementRequest === 'string' ? supplementRequest : undefined}
          onDone={refreshAll}
        />
      ) : null}
      {caseView ? <ResultPanel caseView={caseView} onRated={refreshAll} /> : null}
      {caseRes.error ? <ErrorMessage error={caseRes.error} onRetry={reloadCase} /> : null}

      <section aria-labelledby="timeline-title" className="card panel">
        <h2 id="timeline-title">{t('timeline.title')}</h2>
        {timelineError ? <ErrorMessage error={timelineError} /> : null}
        <Timeline steps={steps} dueAt={caseView?.dueAt ?? null} />
      </section>

      <section aria-labelledby="details-title" className="card panel">
        <h2 id="details-title" className="visually-hidden">
          {t('dossier.details')}
        </h2>
        <DossierDetails dossier={documents.submitted} procedure={procedure.data} />
        <SupplementDocuments attachments={documents.supplements} />
      </section>
      {WITHDRAWABLE.has(dossier.status) ? <WithdrawPanel dossierId={dossier.id} onDone={refreshAll} /> : null}
    </article>
  );
}

/** One dossier of the signed-in citizen: status, payment, supplement, result, rating and the timeline. */
export function DossierPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const fast = params.get('submitted') === '1' || params.get('payment') === 'return';
  const [status, setStatus] = useState<string | null>(null);
  const poll =
    status === null ? (fast ? 2000 : null) : TERMINAL.has(status) ? null : MOVING.has(status) || fast ? 2000 : 10_000;
  const res = useApi<Dossier>(`/api/intake/dossiers/${encodeURIComponent(id)}`, { pollMs: poll });
  useEffect(() => {
    if (res.data) setStatus(res.data.status);
  }, [res.data]);
  usePageTitle(res.data ? `${t('dossier.title')} ${res.data.receiptCode}` : t('dossier.title'));
  return (
    <section className="page" aria-labelledby="dossier-title">
      <p className="breadcrumb">
        <Link to="/dossiers">{t('nav.myDossiers')}</Link> › {res.data?.receiptCode ?? '…'}
      </p>
      <AsyncState {...res}>{(d) => <DossierView dossier={d} reload={res.reload} />}</AsyncState>
    </section>
  );
}
