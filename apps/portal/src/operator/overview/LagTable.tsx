import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../i18n/format';
import type { GroupLag } from '../api/types';
import type { LagPoint } from '../live/stream-state';
import { useLang } from '../ui/lang';
import { Sparkline } from './Sparkline';
import { TableScroll } from '../ui/TableScroll';
import { PanelCard } from '../ui/PanelCard';

/** Consumer lag per group now, with its trend over the kept window. */
export function LagTable({
  groups,
  history,
  error,
}: {
  groups: GroupLag[];
  history: Record<string, LagPoint[]>;
  error?: string | undefined;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  return (
    <PanelCard
      id="op-lag-title"
      testId="lag-section"
      title={t('lag.title')}
      error={error ? t('kafkaUnavailable', { error }) : undefined}
      empty={groups.length === 0}
      emptyText={t('lag.none')}
    >
      <TableScroll label={t('lag.caption')}>
        <table className="op-table" data-testid="lag-table">
          <caption className="op-visually-hidden">{t('lag.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('lag.group')}</th>
              <th scope="col" className="op-num">
                {t('lag.lag')}
              </th>
              <th scope="col">{t('lag.trend')}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => {
              const points = history[g.groupId] ?? [];
              const values = points.map((p) => p.lag);
              const label = values.length
                ? t('lag.sparkLabel', {
                    group: g.groupId,
                    min: formatNumber(Math.min(...values), lang),
                    max: formatNumber(Math.max(...values), lang),
                    n: values.length,
                  })
                : t('lag.noTrend');
              return (
                <tr key={g.groupId} data-testid="lag-row" data-group={g.groupId}>
                  <th scope="row">{g.groupId}</th>
                  <td className={`op-num${g.totalLag > 0 ? ' op-attention' : ''}`}>{formatNumber(g.totalLag, lang)}</td>
                  <td>
                    <Sparkline points={points} label={label} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </PanelCard>
  );
}
