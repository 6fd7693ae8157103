import { useTranslation } from 'react-i18next';
import { formatNumber, formatPercent } from '../../i18n/format';
import { RATE_NAMES, type RatesSummary } from '../api/types';
import { useLang } from '../ui/lang';

/** The national rates as they stand, refreshed by the stream's `rates` events. */
export function LiveSummary({ summary }: { summary: RatesSummary | null }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  return (
    <section className="op-card op-wide" aria-labelledby="op-summary-title" data-testid="operator-live-summary">
      <h2 id="op-summary-title">{t('summary.title')}</h2>
      {summary === null ? (
        <p className="op-muted">{t('summary.waiting')}</p>
      ) : (
        <dl className="op-kpis">
          <div className="op-kpi">
            <dt>{t('counts.submitted')}</dt>
            <dd data-testid="operator-live-submitted">{formatNumber(summary.counts.submitted, lang)}</dd>
          </div>
          {RATE_NAMES.map((r) => (
            <div className="op-kpi" key={r}>
              <dt>{t(`rate.${r}`)}</dt>
              <dd data-testid={`operator-live-rate-${r}`}>{formatPercent(summary.rates[r], lang)}</dd>
            </div>
          ))}
          <div className="op-kpi">
            <dt>{t('counts.overdue')}</dt>
            <dd className={summary.counts.overdue > 0 ? 'op-attention' : undefined}>
              {formatNumber(summary.counts.overdue, lang)}
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}
