import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n';

const NAMES: Record<Language, string> = { vi: 'Tiếng Việt', en: 'English' };
const SHORT: Record<Language, string> = { vi: 'VI', en: 'EN' };

/** Two toggle buttons (each named in its own language, so either reader finds theirs). */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const current = i18n.resolvedLanguage ?? i18n.language;
  return (
    <div className="lang-switch" role="group" aria-label={t('layout.language')} data-testid="language-switch">
      {LANGUAGES.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          aria-pressed={current === l}
          aria-label={NAMES[l]}
          title={NAMES[l]}
          data-testid={`lang-${l}`}
          onClick={() => {
            void setLanguage(l);
          }}
        >
          {SHORT[l]}
        </button>
      ))}
    </div>
  );
}
