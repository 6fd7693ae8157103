import { useTranslation } from 'react-i18next';
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '../../i18n';

/** The language in effect, re-read on every render so formatted numbers follow the language switch. */
export function useLang(): Language {
  const { i18n } = useTranslation('operator');
  const l = i18n.resolvedLanguage ?? i18n.language;
  return isLanguage(l) ? l : DEFAULT_LANGUAGE;
}
