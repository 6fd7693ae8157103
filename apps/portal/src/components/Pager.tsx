import { useTranslation } from 'react-i18next';

/**
 * Previous / next paging with the page number; `total` when the server counts, `hasMore` when it does not.
 * Nothing at all when everything fits on the first page: no pager with two disabled buttons.
 */
export function Pager({
  page,
  pageSize,
  total,
  hasMore,
  onPage,
}: {
  page: number;
  pageSize: number;
  total?: number;
  hasMore?: boolean;
  onPage: (page: number) => void;
}) {
  const { t } = useTranslation();
  const pages = total !== undefined ? Math.max(1, Math.ceil(total / pageSize)) : undefined;
  const next = pages !== undefined ? page < pages : hasMore === true;
  if (page <= 1 && !next) return null;
  return (
    <nav className="pager" aria-label={t('common.paging')} data-testid="pager">
      <button
        type="button"
        className="button button--secondary"
        disabled={page <= 1}
        onClick={() => {
          onPage(page - 1);
        }}
        data-testid="pager-prev"
      >
        ‹ {t('common.previous')}
      </button>
      <span aria-live="polite">
        {pages !== undefined ? t('common.pageOf', { page, pages }) : t('common.page', { page })}
      </span>
      <button
        type="button"
        className="button button--secondary"
        disabled={!next}
        onClick={() => {
          onPage(page + 1);
        }}
        data-testid="pager-next"
      >
        {t('common.next')} ›
      </button>
    </nav>
  );
}
