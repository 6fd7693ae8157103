import { TIME_ZONE } from '../../i18n/format';
import type { Language } from '../../i18n';

const LOCALE: Record<Language, string> = { vi: 'vi-VN', en: 'en-GB' };

/** A clock time with seconds in Vietnam's time ("17:05:09"): live data moves faster than minutes. */
export function formatTime(at: number | string | Date, lang: Language): string {
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return new Intl.DateTimeFormat(LOCALE[lang], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: TIME_ZONE,
  }).format(d);
}

/** Messages per second with at most one decimal ("12,5" in Vietnamese); null (not measured yet) → "—". */
export function formatPerSecond(n: number | null | undefined, lang: Language): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: n < 10 ? 2 : 1 }).format(n);
}
