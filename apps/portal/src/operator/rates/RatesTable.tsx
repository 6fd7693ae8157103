import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../i18n/format';
import { RATE_NAMES, type RateRow, type Scope } from '../api/types';
import { useLang } from '../ui/lang';
import { optionLabel, type CodeOption } from './code-options';
import { rateCell, totalRow } from './rates-format';
import { TableScroll } from '../ui/TableScroll';

/**
 * The six rates per member of the scope with the counts behind each, and the total over the rows shown.
 * Numbers are right-aligned and formatted for the language (78,6 % in Vietnamese). The total row is there even
 * for one row, so the total is always found in the same place.
 */
export function RatesTable({
  rows,
  scope,
  names,
}: {
  rows: RateRow[];
  scope: Scope;
  /** Names of the scope's members, when loaded (codes are shown otherwise). */
  names: ReadonlyMap<string, CodeOption>;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const total = totalRow(rows);
  const nameOf = (key: string) => {
    if (scope === 'national') return t('scope.nationalRow');
    if (key === 'UNKNOWN') return t('rates.unknownKey');
    const o = names.get(key);
    return o ? optionLabel(o, lang) : key;
  };

  if (rows.length === 0) {
    return (
      <p className="op-muted" data-testid="operator-rates-empty">
        {t('rates.empty')}
      </p>
    );
  }

  return (
    <TableScroll label={t('rates.caption', { scope: t(`scope.${scope}`).toLocaleLowerCase(lang) })}>
      <table className="op-table op-rates" data-testid="operator-rates-table">
        <caption>{t('rates.caption', { scope: t(`scope.${scope}`).toLocaleLowerCase(lang) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t(`scope.${scope}`)}</th>
            <th scope="col" className="op-num">
              {t('counts.submitted')}
            </th>
            {RATE_NAMES.map((r) => (
              <th key={r} scope="col" className="op-num">
                {t(`rate.${r}`)}
              </th>
            ))}
            <th scope="col" className="op-num">
              {t('counts.overdue')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} data-testid="rates-row" data-key={row.key}>
              <th scope="row">{nameOf(row.key)}</th>
              <td className="op-num" data-testid="rates-submitted">
                {formatNumber(row.counts.submitted, lang)}
              </td>
              {RATE_NAMES.map((r) => (
                <RateTd key={r} name={r} row={row} />
              ))}
              <td className="op-num">{formatNumber(row.counts.overdue, lang)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="rates-total-row">
            <th scope="row">{t('rates.total')}</th>
            <td className="op-num" data-testid="operator-total-submitted">
              {formatNumber(total.counts.submitted, lang)}
            </td>
            {RATE_NAMES.map((r) => (
              <RateTd key={r} name={r} row={total} />
            ))}
            <td className="op-num">{formatNumber(total.counts.overdue, lang)}</td>
          </tr>
        </tfoot>
      </table>
    </TableScroll>
  );
}

function RateTd({ name, row }: { name: (typeof RATE_NAMES)[number]; row: RateRow }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const cell = rateCell(name, row, lang);
  return (
    <td className="op-num" data-testid={`rate-${name}`} data-value={cell.value ?? ''}>
      <span className="op-rate">{cell.percent}</span>
      <span className="op-fraction" title={t('rates.fractionTitle')}>
        {cell.fraction}
      </span>
    </td>
  );
}
