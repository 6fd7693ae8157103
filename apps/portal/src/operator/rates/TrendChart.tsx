import { useTranslation } from 'react-i18next';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDate, formatPercent } from '../../i18n/format';
import type { Language } from '../../i18n';
import { RATE_NAMES, type Period, type RateName, type TrendPoint } from '../api/types';
import { useLang } from '../ui/lang';
import { TableScroll } from '../ui/TableScroll';

/** Colour and dash per rate: told apart by line style too, not by colour alone; all ≥ 4.5:1 on white. */
const STYLE: Record<RateName, { color: string; dash?: string }> = {
  completion: { color: '#1d4ed8' },
  onTime: { color: '#047857', dash: '6 3' },
  endToEnd: { color: '#a4161a', dash: '2 2' },
  onlineSubmission: { color: '#6d28d9', dash: '8 3 2 3' },
  onlinePayment: { color: '#b45309', dash: '12 4' },
  satisfaction: { color: '#be185d', dash: '3 6' },
};

export type TrendRow = { period: string } & Record<RateName, number | null>;

export function trendRows(points: readonly TrendPoint[]): TrendRow[] {
  return points.map((p) => {
    const row = { period: p.period } as TrendRow;
    for (const r of RATE_NAMES) {
      const v = p.rates[r];
      row[r] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    }
    return row;
  });
}

/** A bucket's label: its (first) day for a day or a week (the column says "week starting"), month/year for a month. */
export function periodLabel(period: string, granularity: Period, lang: Language): string {
  switch (granularity) {
    case 'day':
    case 'week':
      return formatDate(period, lang);
    case 'month': {
      const d = new Date(`${period.slice(0, 7)}-01T00:00:00Z`);
      if (Number.isNaN(d.getTime())) return period;
      return new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', {
        month: lang === 'vi' ? '2-digit' : 'short',
        year: 'numeric',
        timeZone: 'UTC',
      }).format(d);
    }
  }
}

/** The six rates over time, with the same numbers as a table for screen readers and for copying. */
export function TrendChart({ points, period }: { points: TrendPoint[]; period: Period }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const rows = trendRows(points);
  if (rows.length === 0) {
    return (
      <p className="op-muted" data-testid="operator-trend-empty">
        {t('trend.empty')}
      </p>
    );
  }
  const label = (p: string) => periodLabel(p, period, lang);
  return (
    <>
      <figure
        className="op-chart"
        role="img"
        aria-label={t('trend.chartLabel', { n: rows.length, period: t(`period.${period}`) })}
        data-testid="operator-trend-chart"
      >
        <ResponsiveContainer width="100%" height={300} initialDimension={{ width: 320, height: 300 }}>
          <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d0d5dd" />
            <XAxis dataKey="period" tickFormatter={label} minTickGap={24} />
            <YAxis domain={[0, 1]} width={52} tickFormatter={(v: number) => formatPercent(v, lang)} />
            <Tooltip
              labelFormatter={(v) => (typeof v === 'string' ? label(v) : '')}
              formatter={(v) => formatPercent(typeof v === 'number' ? v : null, lang)}
            />
            <Legend />
            {RATE_NAMES.map((r) => (
              <Line
                key={r}
                type="monotone"
                dataKey={r}
                name={t(`rate.${r}`)}
                stroke={STYLE[r].color}
                strokeDasharray={STYLE[r].dash}
                strokeWidth={2}
                // Always a dot: a period with data between two without (a new platform's first day) has no line to
                // draw, and without its dot the chart would look empty while the table shows the number.
                dot={{ r: rows.length <= 14 ? 3 : 2 }}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </figure>
      <details className="op-details">
        <summary>{t('trend.asTable')}</summary>
        <TableScroll label={t('trend.tableCaption')}>
          <table className="op-table" data-testid="operator-trend-table">
            <caption className="op-visually-hidden">{t('trend.tableCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t(`trend.bucket.${period}`)}</th>
                {RATE_NAMES.map((r) => (
                  <th key={r} scope="col" className="op-num">
                    {t(`rate.${r}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.period} data-testid="trend-row" data-period={row.period}>
                  <th scope="row">{label(row.period)}</th>
                  {RATE_NAMES.map((r) => (
                    <td key={r} className="op-num">
                      {formatPercent(row[r], lang)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </>
  );
}
