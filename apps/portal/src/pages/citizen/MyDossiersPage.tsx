import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { procedureIndex } from '../../api/catalog';
import { useApi } from '../../api/hooks';
import type { DossierSummary, Page, ProcedureSummary } from '../../api/types';
import { AsyncState } from '../../components/AsyncState';
import { Pager } from '../../components/Pager';
import { usePageTitle } from '../../components/PageTitle';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../i18n/format';
import { procedureName } from './CatalogPage';

export function useProcedureIndex(): Map<string, ProcedureSummary> {
  const [index, setIndex] = useState<Map<string, ProcedureSummary>>(new Map());
  useEffect(() => {
    // Names only: codes are shown when the catalog cannot be read.
    procedureIndex().then(setIndex, () => undefined);
  }, []);
  return index;
}

/** The signed-in citizen's dossiers (intake scopes the list to their personal ID), newest first. */
export function MyDossiersPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  usePageTitle(t('myDossiers.title'));
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);
  const res = useApi<Page<DossierSummary>>(`/api/intake/dossiers?page=${page}&pageSize=20`, { pollMs: 15_000 });
  const names = useProcedureIndex();
  return (
    <section className="page" aria-labelledby="my-title">
      <h1 id="my-title">{t('myDossiers.title')}</h1>
      <AsyncState {...res}>
        {(data) =>
          data.items.length === 0 ? (
            <div className="card">
              <p>{t('myDossiers.none')}</p>
              <Link to="/" className="button button--primary">
                {t('myDossiers.findProcedure')}
              </Link>
            </div>
          ) : (
            <>
              <div className="table-wrap">
                <table className="table" data-testid="my-dossiers">
                  <caption className="visually-hidden">{t('myDossiers.title')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('dossier.receiptCode')}</th>
                      <th scope="col">{t('dossier.procedure')}</th>
                      <th scope="col">{t('dossier.status')}</th>
                      <th scope="col">{t('dossier.submittedAt')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((d) => {
                      const p = names.get(d.procedureCode);
                      return (
                        <tr key={d.id} data-testid="dossier-row" data-dossier-id={d.id}>
                          <td>
                            <Link to={`/dossiers/${d.id}`} className="code">
                              {d.receiptCode}
                            </Link>
                          </td>
                          <td>{p ? procedureName(p, lang) : (d.procedureName ?? d.procedureCode)}</td>
                          <td>
                            <StatusBadge status={d.status} />
                          </td>
                          <td>{formatDateTime(d.submittedAt)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pager
                page={data.page}
                pageSize={data.pageSize}
                total={data.total}
                onPage={(p) => {
                  setParams({ page: String(p) });
                }}
              />
            </>
          )
        }
      </AsyncState>
    </section>
  );
}
