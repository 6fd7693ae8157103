import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { formatDate } from '../../i18n/format';
import type { RatesResponse, TrendResponse } from '../api/types';
import { AsyncBlock } from '../ui/AsyncState';
import { useLang } from '../ui/lang';
import { formatTime } from '../ui/format';
import { useApi } from '../ui/useApi';
import { useDocumentTitle } from '../ui/useDocumentTitle';
import { useCodeOptions, type CodeOption } from './code-options';
import { filterFromParams, filterProblems, filterToParams, ratesPath, trendPath, type RatesFilter } from './filter';
import { RatesFilters } from './RatesFilters';
import { RatesTable } from './RatesTable';
import { SnapshotButton } from './SnapshotButton';
import { TrendChart } from './TrendChart';
import { vnToday } from './rates-format';

/** Completion-rate metrics by agency, province or procedure over a period, with their trend. */
export function RatesPage() {
  const { t } = useTranslation('operator');
  useDocumentTitle(t('rates.title'));
  const lang = useLang();
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  // One object per address, so the filter form only resets when the address really changes.
  const filter = useMemo(() => filterFromParams(new URLSearchParams(search), vnToday()), [search]);
  const valid = filterProblems(filter).length === 0;

  const rates = useApi<RatesResponse>(valid ? ratesPath(filter) : null);
  const trend = useApi<TrendResponse>(valid ? trendPath(filter) : null);
  const options = useCodeOptions(filter.scope);
  const names = useMemo(
    () => new Map<string, CodeOption>(options.status === 'success' ? options.data.map((o) => [o.code, o]) : []),
    [options],
  );

  const apply = (f: RatesFilter) => {
    setParams(filterToParams(f));
  };

  return (
    <div className="op-page" data-testid="operator-rates">
      <div className="op-page-head">
        <h1>{t('rates.title')}</h1>
        <SnapshotButton />
      </div>
      <RatesFilters value={filter} onApply={apply} />
      {!valid ? (
        <p className="op-error" role="alert">
          {filterProblems(filter)
            .map((p) => t(p))
            .join(' ')}
        </p>
      ) : null}

      <section className="op-card op-wide" aria-labelledby="op-rates-table-title">
        <h2 id="op-rates-table-title">
          {t('rates.tableTitle', { from: formatDate(filter.from, lang), to: formatDate(filter.to, lang) })}
        </h2>
        <AsyncBlock value={rates} reload={rates.reload} loadingLabel={t('rates.loading')}>
          {(data) => {
            const rows = filter.code ? data.rows.filter((r) => r.key === filter.code) : data.rows;
            return (
              <>
                <RatesTable rows={rows} scope={filter.scope} names={names} />
                <p className="op-muted" data-testid="operator-rates-asof">
                  {t('rates.asOf', { time: `${formatTime(data.asOf, lang)} ${formatDate(data.asOf, lang)}` })}
                </p>
              </>
            );
          }}
        </AsyncBlock>
      </section>

      <section className="op-card op-wide" aria-labelledby="op-trend-title" data-testid="operator-trend">
        <h2 id="op-trend-title">
          {t('trend.title', {
            what:
              filter.scope === 'national'
                ? t('scope.nationalRow')
                : filter.code
                  ? (names.get(filter.code)?.name ?? filter.code)
                  : t(`scope.${filter.scope}`),
          })}
        </h2>
        <AsyncBlock
          value={trend}
          reload={trend.reload}
          loadingLabel={t('trend.loading')}
          idle={
            valid ? (
              <p className="op-muted">
                {t('trend.pickCode', { scope: t(`scope.${filter.scope}`).toLocaleLowerCase(lang) })}
              </p>
            ) : null
          }
        >
          {(data) => <TrendChart points={data.points} period={filter.period} />}
        </AsyncBlock>
      </section>
    </div>
  );
}
