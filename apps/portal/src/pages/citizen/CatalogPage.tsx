import { useEffect, useState, type SubmitEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { areaList } from '../../api/catalog';
import { useApi } from '../../api/hooks';
import type { Area, Page, ProcedureSummary } from '../../api/types';
import { AsyncState } from '../../components/AsyncState';
import { FilterCheckbox, FilterSelect } from '../../components/FilterSelect';
import { Pager } from '../../components/Pager';
import { usePageTitle } from '../../components/PageTitle';
import { formatVnd, formatWorkingDays } from '../../i18n/format';

const PAGE_SIZE = 12;

export function procedureName(p: { name: string; nameEn: string }, lang: string): string {
  return lang === 'en' ? p.nameEn || p.name : p.name;
}

function ProcedureCard({ p, lang }: { p: ProcedureSummary; lang: string }) {
  const { t } = useTranslation();
  return (
    <li className="card procedure-card" data-testid="procedure-card" data-code={p.code}>
      <h2 className="procedure-card__title">
        <Link to={`/procedures/${encodeURIComponent(p.code)}`}>{procedureName(p, lang)}</Link>
      </h2>
      <p className="procedure-card__meta">
        <span className="code">{p.code}</span>
        <span>{t(`areas.${p.area}`, { defaultValue: p.area })}</span>
        <span>{t(`levels.${p.agencyLevel}`)}</span>
      </p>
      <dl className="facts">
        <div>
          <dt>{t('procedure.fee')}</dt>
          <dd>{p.feeVnd > 0 ? formatVnd(p.feeVnd) : t('procedure.free')}</dd>
        </div>
        <div>
          <dt>{t('procedure.processingTime')}</dt>
          <dd>{formatWorkingDays(p.processingWorkingDays)}</dd>
        </div>
      </dl>
      <p>
        <span className={`badge ${p.serviceLevel === 'FULL' ? 'badge--ok' : 'badge--neutral'}`}>
          {t(`serviceLevel.${p.serviceLevel}`)}
        </span>
      </p>
    </li>
  );
}

/** The procedure catalog: accent-insensitive search with area, level and "fully online" filters kept in the URL. */
export function CatalogPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  usePageTitle(t('catalog.title'));
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const area = params.get('area') ?? '';
  const level = params.get('level') ?? '';
  const online = params.get('online') === '1';
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const [draft, setDraft] = useState(q);
  // The URL is the truth, but router updates are transitions: the box follows the click at once.
  const [onlineBox, setOnlineBox] = useState(online);
  useEffect(() => {
    setOnlineBox(online);
  }, [online]);
  const [areas, setAreas] = useState<Area[]>([]);

  useEffect(() => {
    setDraft(q);
  }, [q]);
  useEffect(() => {
    // The filter still works without the area list (it is only the choices): a failure leaves it empty.
    areaList().then(setAreas, () => undefined);
  }, []);

  const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  if (q) query.set('q', q);
  if (area) query.set('area', area);
  if (level) query.set('agencyLevel', level);
  if (online) query.set('serviceLevel', 'FULL');
  const result = useApi<Page<ProcedureSummary>>(`/api/intake/procedures?${query.toString()}`);

  const update = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    if (!('page' in patch)) next.delete('page');
    setParams(next);
  };
  const onSearch = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    update({ q: draft.trim() });
  };

  return (
    <section className="page" aria-labelledby="catalog-title">
      <div className="hero">
        <h1 id="catalog-title">{t('catalog.title')}</h1>
        <p>{t('catalog.intro')}</p>
        <form role="search" className="search" onSubmit={onSearch} aria-label={t('catalog.searchLabel')}>
          <label htmlFor="catalog-q" className="visually-hidden">
            {t('catalog.searchLabel')}
          </label>
          <input
            id="catalog-q"
            type="search"
            value={draft}
            placeholder={t('catalog.searchPlaceholder')}
            onChange={(e) => {
              setDraft(e.target.value);
            }}
            data-testid="catalog-search"
          />
          <button type="submit" className="button" data-testid="catalog-search-submit">
            {t('catalog.search')}
          </button>
        </form>
      </div>
      <div className="filters" role="group" aria-label={t('catalog.filters')}>
        <FilterSelect
          id="catalog-area"
          label={t('catalog.area')}
          value={area}
          allLabel={t('catalog.allAreas')}
          options={areas.map((a) => ({
            value: a.id,
            label: `${lang === 'en' ? a.nameEn : a.name} (${String(a.procedureCount)})`,
          }))}
          onChange={(v) => {
            update({ area: v });
          }}
          testId="filter-area"
        />
        <FilterSelect
          id="catalog-level"
          label={t('catalog.level')}
          value={level}
          allLabel={t('catalog.allLevels')}
          options={(['commune', 'province', 'ministry'] as const).map((l) => ({ value: l, label: t(`levels.${l}`) }))}
          onChange={(v) => {
            update({ level: v });
          }}
          testId="filter-level"
        />
        <FilterCheckbox
          id="catalog-online"
          label={t('catalog.fullyOnline')}
          checked={onlineBox}
          onChange={(checked) => {
            setOnlineBox(checked);
            update({ online: checked ? '1' : null });
          }}
          testId="filter-online"
        />
      </div>
      <AsyncState {...result}>
        {(data) => (
          <>
            <p className="result-count" role="status" data-testid="catalog-count">
              {t('catalog.count', { count: data.total })}
            </p>
            {data.items.length === 0 ? (
              <p>{t('catalog.none')}</p>
            ) : (
              <ul className="card-grid" data-testid="catalog-results">
                {data.items.map((p) => (
                  <ProcedureCard key={p.code} p={p} lang={lang} />
                ))}
              </ul>
            )}
            <Pager
              page={data.page}
              pageSize={data.pageSize}
              total={data.total}
              onPage={(p) => {
                update({ page: String(p) });
              }}
            />
          </>
        )}
      </AsyncState>
    </section>
  );
}
