import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/hooks';
import type { CaseStatus, QueuePage as QueueData } from '../../api/types';
import { useSession } from '../../auth/session';
import { AsyncState } from '../../components/AsyncState';
import { FilterCheckbox, FilterSelect } from '../../components/FilterSelect';
import { Pager } from '../../components/Pager';
import { usePageTitle } from '../../components/PageTitle';
import { slaState, useDuration, useNow } from '../../components/SlaClock';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDate, formatDateTime } from '../../i18n/format';
import { procedureName } from '../citizen/CatalogPage';
import { useProcedureIndex } from '../citizen/MyDossiersPage';

const STATUSES: CaseStatus[] = [
  'RECEIVED',
  'TRANSFERRED',
  'IN_PROCESS',
  'SUPPLEMENT_REQUESTED',
  'APPROVED',
  'REJECTED',
  'RESULT_ISSUED',
  'COMPLETED',
];
const PAGE_SIZE = 20;

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName))
  );
}

/**
 * The officer's agency queue, overdue first then by due date (the server's order), with status and overdue
 * filters and paging. Keys: j / k move between cases, Enter opens, / goes to the filters.
 */
export function QueuePage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  usePageTitle(t('queue.title'));
  const { user } = useSession();
  const agency = user?.agencyCode ?? '';
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const overdue = params.get('overdue') ?? '';
  const mine = params.get('mine') === '1';
  // The URL is the truth, but router updates are transitions: the box follows the click at once.
  const [mineBox, setMineBox] = useState(mine);
  useEffect(() => {
    setMineBox(mine);
  }, [mine]);
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const q = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  if (status) q.set('status', status);
  if (overdue) q.set('overdue', overdue);
  const res = useApi<QueueData>(
    agency ? `/api/cases/queues/${encodeURIComponent(agency)}/cases?${q.toString()}` : null,
    {
      pollMs: 20_000,
    },
  );
  const names = useProcedureIndex();
  const now = useNow();
  const duration = useDuration();
  const table = useRef<HTMLTableElement>(null);
  const filters = useRef<HTMLSelectElement>(null);

  const update = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    if (!('page' in patch)) next.delete('page');
    setParams(next);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      const links = Array.from(table.current?.querySelectorAll<HTMLAnchorElement>('a[data-row-link]') ?? []);
      const current = links.indexOf(document.activeElement as HTMLAnchorElement);
      if (e.key === 'j' || e.key === 'k') {
        if (!links.length) return;
        e.preventDefault();
        const next = e.key === 'j' ? Math.min(links.length - 1, current + 1) : Math.max(0, current - 1);
        links[next]?.focus();
      } else if (e.key === '/') {
        e.preventDefault();
        filters.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  return (
    <section className="page" aria-labelledby="queue-title">
      <h1 id="queue-title">
        {t('queue.title')} <span className="muted">{agency}</span>
      </h1>
      <p className="small" id="queue-keys">
        {t('queue.keys')}
      </p>
      <div className="filters" role="group" aria-label={t('catalog.filters')}>
        <FilterSelect
          id="queue-status"
          selectRef={filters}
          label={t('queue.status')}
          value={status}
          allLabel={t('queue.allOpen')}
          options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
          onChange={(v) => {
            update({ status: v });
          }}
          testId="queue-filter-status"
        />
        <FilterSelect
          id="queue-overdue"
          label={t('queue.sla')}
          value={overdue}
          allLabel={t('queue.slaAll')}
          options={[
            { value: 'true', label: t('queue.overdueOnly') },
            { value: 'false', label: t('queue.notOverdue') },
          ]}
          onChange={(v) => {
            update({ overdue: v });
          }}
          testId="queue-filter-overdue"
        />
        <FilterCheckbox
          id="queue-mine"
          label={t('queue.mine')}
          checked={mineBox}
          onChange={(checked) => {
            setMineBox(checked);
            update({ mine: checked ? '1' : null });
          }}
          testId="queue-filter-mine"
        />
        <button type="button" className="button button--secondary" onClick={res.reload} data-testid="queue-refresh">
          {t('common.refresh')}
        </button>
      </div>
      <AsyncState {...res}>
        {(data) => {
          const items = mine ? data.items.filter((c) => c.assignee === user?.sub) : data.items;
          return (
            <>
              {items.length === 0 ? (
                <p data-testid="queue-empty">{t('queue.empty')}</p>
              ) : (
                <div className="table-wrap">
                  <table className="table queue" ref={table} data-testid="queue" aria-describedby="queue-keys">
                    <caption className="visually-hidden">{t('queue.title')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('dossier.receiptCode')}</th>
                        <th scope="col">{t('dossier.procedure')}</th>
                        <th scope="col">{t('dossier.status')}</th>
                        <th scope="col">{t('queue.assignee')}</th>
                        <th scope="col">{t('queue.received')}</th>
                        <th scope="col">{t('queue.due')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {items.map((c) => {
                        const sla = slaState(c, now);
                        const p = names.get(c.procedureCode);
                        const left = new Date(c.dueAt).getTime() - now;
                        return (
                          <tr
                            key={c.id}
                            className={`queue__row queue__row--${sla}`}
                            data-testid="queue-row"
                            data-case-id={c.id}
                            data-sla={sla}
                            data-status={c.status}
                          >
                            <td>
                              <Link to={`/officer/cases/${c.id}`} className="code" data-row-link>
                                {c.receiptCode}
                              </Link>
                            </td>
                            <td>{p ? procedureName(p, lang) : c.procedureCode}</td>
                            <td>
                              <StatusBadge status={c.status} />
                            </td>
                            <td>{c.assignee === null ? '—' : c.assignee === user?.sub ? t('queue.me') : c.assignee}</td>
                            <td>{formatDate(c.receivedAt)}</td>
                            <td>
                              <span title={formatDateTime(c.dueAt)}>{formatDate(c.dueAt)}</span>{' '}
                              {sla === 'overdue' ? (
                                <span className="badge badge--bad" data-testid="badge-overdue">
                                  {t('queue.overdue')}
                                </span>
                              ) : sla === 'dueSoon' ? (
                                <span className="badge badge--warn" data-testid="badge-due-soon">
                                  {t('queue.dueSoon', { duration: duration(left) })}
                                </span>
                              ) : sla === 'paused' ? (
                                <span className="badge badge--neutral">{t('sla.state.paused')}</span>
                              ) : null}
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              {data.page > 1 || data.hasMore ? (
                <Pager
                  page={data.page}
                  pageSize={data.pageSize}
                  hasMore={data.hasMore}
                  onPage={(p) => {
                    update({ page: String(p) });
                  }}
                />
              ) : null}
            </>
          );
        }}
      </AsyncState>
    </section>
  );
}
