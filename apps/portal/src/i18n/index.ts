import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { vi } from './locales/vi';

export const LANGUAGES = ['vi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'vi';
const STORAGE_KEY = 'hoso.lang';

export const resources = { vi: { translation: vi }, en: { translation: en } } as const;

export function isLanguage(v: unknown): v is Language {
  return v === 'vi' || v === 'en';
}

function storedLanguage(): Language {
  try {
    const v = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
    return isLanguage(v) ? v : DEFAULT_LANGUAGE;
  } catch {
    return DEFAULT_LANGUAGE;
  }
}

function reflectInDocument(lng: string): void {
  if (typeof document !== 'undefined') document.documentElement.lang = lng;
}

/**
 * The portal's i18next instance: Vietnamese by default, English as the fallback for a key a translation lacks
 * (the resource test keeps both complete). Resources are bundled, so initialisation is synchronous.
 */
export const i18n: I18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources,
  lng: storedLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false }, // React escapes.
  returnNull: false,
  initAsync: false,
});
reflectInDocument(i18n.language);
i18n.on('languageChanged', (lng) => {
  reflectInDocument(lng);
  try {
    localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
});

/** The language in effect ('vi' unless the user switched). */
export function currentLanguage(): Language {
  const l = i18n.resolvedLanguage ?? i18n.language;
  return isLanguage(l) ? l : DEFAULT_LANGUAGE;
}

export async function setLanguage(lng: Language): Promise<void> {
  await i18n.changeLanguage(lng);
}

export default i18n;
