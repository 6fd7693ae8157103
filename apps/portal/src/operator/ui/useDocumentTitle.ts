import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** The tab title (and what a screen reader announces after navigation) for one dashboard page. */
export function useDocumentTitle(page: string): void {
  const { t } = useTranslation('operator');
  useEffect(() => {
    document.title = t('documentTitle', { page });
  }, [page, t]);
}
