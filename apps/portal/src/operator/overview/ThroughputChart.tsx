import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../../i18n/format';
import type { TopicThroughput } from '../api/types';
import { outOf, type ThroughputPoint } from '../live/stream-state';
import { formatPerSecond, formatTime } from '../ui/format';
import { useLang } from '../ui/lang';
import { TableScroll } from '../ui/TableScroll';
import { PartError } from './PartError';

const ALL = '*';

interface ChartRow {
  at: number;
  in: number | null;
  out: number | null;
}

/** The chart's rows for one topic, or for all topics summed (a topic not measured yet adds nothing). */
export function seriesOf(points: readonly ThroughputPoint[], topic: string): ChartRow[] {
  return points.map((p) => {
    if (topic !== ALL) {
      const t = p.topics[topic];
      return { at: p.at, in: t?.in ?? null, out: t?.out ?? null };
    }
    let inSum: number | null = null;
    let outSum: number | null = null;
    for (const t of Object.values(p.topics)) {
      if (t.in !== null) inSum = (inSum ?? 0) + t.in;
      if (t.out !== null) outSum = (outSum ?? 0) + t.out;
    }
    return { at: p.at, in: inSum, out: outSum };
  });
}

/** Messages in and out per second over the last minutes, with the current figures per topic as a table. */
export function ThroughputChart({
  points,
  topics,
  error,
}: {
  points: ThroughputPoint[];
  topics: TopicThroughput[];
  error?: string | undefined;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const selectId = useId();
  const [topic, setTopic] = useState(ALL);
  const rows = useMemo(() => seriesOf(points, topic), [points, topic]);
  const latest = rows[rows.length - 1];
  const topicLabel = topic === ALL ? t('throughput.allTopics') : topic;

  return (
    <section className="op-card op-wide" aria-labelledby={`${selectId}-title`} data-testid="throughput-section">
      <div className="op-section-head">
        <h2 id={`${selectId}-title`}>{t('throughput.title')}</h2>
        <label htmlFor={selectId} className="op-inline-field">
          {t('throughput.topic')}
          <select
            id={selectId}
            value={topic}
            onChange={(e) => {
              setTopic(e.target.value);
            }}
            data-testid="throughput-topic"
          >
            <option value={ALL}>{t('throughput.allTopics')}</option>
            {topics.map((x) => (
              <option key={x.topic} value={x.topic}>
                {x.topic}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? <PartError text={t('kafkaUnavailable', { error })} /> : null}
      <figure
        className="op-chart"
        role="img"
        aria-label={t('throughput.chartLabel', {
          topic: topicLabel,
          points: rows.length,
          in: formatPerSecond(latest?.in, lang),
          out: formatPerSecond(latest?.out, lang),
        })}
        data-testid="throughput-chart"
      >
        {rows.length < 2 ? (
          <p className="op-muted">{t('throughput.collecting')}</p>
        ) : (
          <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 320, height: 240 }}>
            <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#d0d5dd" />
              <XAxis
                dataKey="at"
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(v: number) => formatTime(v, lang)}
                minTickGap={40}
              />
              <YAxis width={48} tickFormatter={(v: number) => formatPerSecond(v, lang)} allowDecimals />
              <Tooltip
                labelFormatter={(v) => formatTime(Number(v), lang)}
                formatter={(v) => formatPerSecond(typeof v === 'number' ? v : null, lang)}
              />
              <Legend />
              <Line
                type="monotone"
                dataKey="in"
                name={t('throughput.in')}
                stroke="#1d4ed8"
                strokeWidth={2}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
              <Line
                type="monotone"
                dataKey="out"
                name={t('throughput.out')}
                stroke="#047857"
                strokeWidth={2}
                strokeDasharray="6 3"
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            </LineChart>
          </ResponsiveContainer>
        )}
      </figure>
      <TableScroll label={t('throughput.tableCaption')}>
        <table className="op-table" data-testid="throughput-table">
          <caption>{t('throughput.tableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('throughput.topic')}</th>
              <th scope="col" className="op-num">
                {t('throughput.inPerSec')}
              </th>
              <th scope="col" className="op-num">
                {t('throughput.outPerSec')}
              </th>
              <th scope="col">{t('throughput.groups')}</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((x) => (
              <tr key={x.topic} data-testid="throughput-row" data-topic={x.topic}>
                <th scope="row">{x.topic}</th>
                <td className="op-num">{formatPerSecond(x.inPerSec, lang)}</td>
                <td className="op-num">{formatPerSecond(outOf(x.outPerSec), lang)}</td>
                <td>
                  {Object.entries(x.outPerSec)
                    .map(([g, v]) => `${g}: ${formatPerSecond(v, lang)}`)
                    .join(', ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="op-muted">{t('throughput.note', { n: formatNumber(points.length, lang) })}</p>
    </section>
  );
}
