import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../i18n/format';
import { QUEUE_COUNT_NAMES, type QueueCounts } from '../api/types';
import { useLang } from '../ui/lang';
import { TableScroll } from '../ui/TableScroll';
import { PanelCard } from '../ui/PanelCard';

/** BullMQ job counts per service queue; failed jobs stand out by colour, weight and a word, not colour alone. */
export function QueuesTable({ queues, error }: { queues: QueueCounts[]; error?: string | undefined }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  return (
    <PanelCard
      id="op-queues-title"
      testId="queues-section"
      wide
      title={t('queues.title')}
      error={error ? t('queues.unavailable', { error }) : undefined}
      empty={queues.length === 0}
      emptyText={t('queues.none')}
    >
      <TableScroll label={t('queues.caption')}>
        <table className="op-table" data-testid="queues-table">
          <caption className="op-visually-hidden">{t('queues.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('queues.queue')}</th>
              {QUEUE_COUNT_NAMES.map((n) => (
                <th key={n} scope="col" className="op-num">
                  {t(`queues.count.${n}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => {
              const failed = q.counts.failed > 0;
              return (
                <tr
                  key={q.fullName}
                  data-testid="queue-row"
                  data-queue={q.queue}
                  data-failed={failed ? 'true' : 'false'}
                  className={failed ? 'op-row-failed' : undefined}
                >
                  <th scope="row">
                    {q.queue}
                    {q.fullName !== q.queue ? <span className="op-muted op-small"> {q.fullName}</span> : null}
                    {q.error ? (
                      <span className="op-error-inline" role="note">
                        {' '}
                        {t('queues.unreadable', { error: q.error })}
                      </span>
                    ) : null}
                  </th>
                  {QUEUE_COUNT_NAMES.map((n) => (
                    <td
                      key={n}
                      className={`op-num${n === 'failed' && failed ? ' op-failed' : ''}`}
                      data-testid={`queue-${n}`}
                    >
                      {q.error ? '—' : formatNumber(q.counts[n], lang)}
                      {n === 'failed' && failed ? (
                        <span className="op-visually-hidden"> {t('queues.attention')}</span>
                      ) : null}
                      {n === 'failed' && failed ? (
                        <span aria-hidden="true" className="op-flag">
                          {' '}
                          ⚠
                        </span>
                      ) : null}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </PanelCard>
  );
}
