import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import { useApi } from '../../api/hooks';
import type { CaseView, Dossier, Procedure, Timeline as TimelineData } from '../../api/types';
import { useSession } from '../../auth/session';
import { AsyncState, ErrorMessage } from '../../components/AsyncState';
import { DossierDetails } from '../../components/DossierDetails';
import { DownloadButton } from '../../components/DownloadButton';
import { usePageTitle } from '../../components/PageTitle';
import { SlaClock } from '../../components/SlaClock';
import { StatusBadge } from '../../components/StatusBadge';
import { mergeSteps, Timeline } from '../../components/Timeline';
import { formatDateTime } from '../../i18n/format';
import { procedureName } from '../citizen/CatalogPage';
import { splitAttachments, SupplementDocuments } from '../citizen/DossierPanels';
import { CaseActions } from './CaseActions';

function CaseBody({ initial }: { initial: CaseView }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const { user } = useSession();
  const [c, setC] = useState(initial);
  useEffect(() => {
    // A newer read (polling) replaces ours unless ours is newer (just moved here).
    setC((mine) => (initial.version >= mine.version ? initial : mine));
  }, [initial]);
  const dossier = useApi<Dossier>(`/api/intake/dossiers/${c.dossierId}`);
  const procedure = useApi<Procedure>(`/api/intake/procedures/${encodeURIComponent(c.procedureCode)}`);
  const [timeline, setTimeline] = useState<TimelineData | null>(null);
  const [timelineError, setTimelineError] = useState<unknown>(null);
  const { reload: reloadDossier } = dossier;
  useEffect(() => {
    let cancelled = false;
    api<TimelineData>(`/api/cases/dossiers/${c.dossierId}/timeline`).then(
      (tl) => {
        if (!cancelled) setTimeline(tl);
      },
      (e: unknown) => {
        if (!cancelled && !(e instanceof ApiError && e.status === 404)) setTimelineError(e);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [c.dossierId, c.version]);
  useEffect(() => {
    reloadDossier();
  }, [c.version, reloadDossier]);
  usePageTitle(`${t('case.title')} ${c.receiptCode}`);
  const steps = mergeSteps(timeline?.entries ?? [], dossier.data?.history ?? []);
  return (
    <article data-testid="case" data-case-id={c.id} data-status={c.status}>
      <header className="dossier-head">
        <div>
          <h1 id="case-title">
            {t('case.title')}{' '}
            <span className="code" data-testid="case-receipt-code">
              {c.receiptCode}
            </span>
          </h1>
          <p className="muted">
            {procedure.data ? procedureName(procedure.data, lang) : c.procedureCode} · {c.agencyCode} ·{' '}
            {t('queue.received')} {formatDateTime(c.receivedAt)}
          </p>
          <p className="small">
            {t('queue.assignee')}:{' '}
            <span data-testid="case-assignee">
              {c.assignee === null ? t('case.unassigned') : c.assignee === user?.sub ? t('queue.me') : c.assignee}
            </span>
          </p>
        </div>
        <div className="dossier-head__status">
          <StatusBadge status={c.status} testId="case-status" />
          <SlaClock c={c} />
        </div>
      </header>
      <div className="case-grid">
        <div>
          <CaseActions c={c} onMoved={setC} />
          {c.resultDocument ? (
            <section className="card panel" aria-labelledby="case-result-title">
              <h2 id="case-result-title">{t('result.title')}</h2>
              <p>
                {t('result.outcome')}: <strong>{c.outcome ? t(`status.${c.outcome}`) : '—'}</strong>
              </p>
              <DownloadButton
                path={`/api/cases/cases/${c.id}/result`}
                fileName={`${c.receiptCode}.pdf`}
                label={t('result.download')}
                testId="case-download-result"
              />
            </section>
          ) : null}
          <section className="card panel" aria-labelledby="case-timeline-title">
            <h2 id="case-timeline-title">{t('timeline.title')}</h2>
            {timelineError ? <ErrorMessage error={timelineError} /> : null}
            <Timeline steps={steps} showActors />
          </section>
        </div>
        <section className="card panel" aria-labelledby="case-dossier-title">
          <h2 id="case-dossier-title">{t('case.dossier')}</h2>
          <AsyncState {...dossier}>
            {(d) => {
              // Documents the citizen supplied on request are listed apart, labelled, so the officer sees what is new.
              const { submitted, supplements } = splitAttachments(d);
              return (
                <>
                  <DossierDetails dossier={submitted} procedure={procedure.data} />
                  <SupplementDocuments attachments={supplements} />
                </>
              );
            }}
          </AsyncState>
        </section>
      </div>
    </article>
  );
}

/** One case of the officer's agency: dossier, attachments, timeline, SLA clock and the moves. */
export function CasePage() {
  const { caseId = '' } = useParams();
  const { t } = useTranslation();
  const res = useApi<CaseView>(`/api/cases/cases/${encodeURIComponent(caseId)}`, { pollMs: 30_000 });
  return (
    <section className="page" aria-labelledby="case-title">
      <p className="breadcrumb">
        <Link to="/officer">{t('nav.queue')}</Link> › {res.data?.receiptCode ?? '…'}
      </p>
      <AsyncState {...res}>{(c) => <CaseBody initial={c} />}</AsyncState>
    </section>
  );
}
