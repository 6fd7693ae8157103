import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** Sets the document title (what a screen reader announces on navigation and the tab shows). */
export function usePageTitle(title: string | undefined): void {
  const { t } = useTranslation();
  useEffect(() => {
    const site = t('layout.siteName');
    document.title = title ? `${title} — ${site}` : site;
  }, [title, t]);
}
