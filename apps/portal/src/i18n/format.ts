import { currentLanguage, i18n, type Language } from './index';

/** Locale tags per language: Vietnamese conventions (1.000.000 ₫, dd/mm/yyyy, 24 h); English as in Britain. */
const NUMBER_LOCALE: Record<Language, string> = { vi: 'vi-VN', en: 'en' };
const DATE_LOCALE: Record<Language, string> = { vi: 'vi-VN', en: 'en-GB' };
/** Dossier times are shown in Vietnam's time, wherever the browser is. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: string | number | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 150000 → "150.000 ₫" (vi) / "₫150,000" (en). */
export function formatVnd(amount: number, lng: Language = currentLanguage()): string {
  return new Intl.NumberFormat(NUMBER_LOCALE[lng], { style: 'currency', currency: 'VND' }).format(amount);
}

export function formatNumber(n: number, lng: Language = currentLanguage()): string {
  return new Intl.NumberFormat(NUMBER_LOCALE[lng]).format(n);
}

/**
 * A calendar date: "05/01/2025" (vi) / "05 Jan 2025" (en). A date-only string (`2025-01-05`, a birth date, a
 * due date) is a day, not an instant, so it is never shifted by a time zone.
 */
export function formatDate(value: string | number | Date, lng: Language = currentLanguage()): string {
  const dateOnly = typeof value === 'string' && DATE_ONLY.test(value);
  const d = toDate(dateOnly ? `${value}T00:00:00Z` : value);
  if (!d) return String(value);
  return new Intl.DateTimeFormat(DATE_LOCALE[lng], {
    day: '2-digit',
    month: lng === 'vi' ? '2-digit' : 'short',
    year: 'numeric',
    timeZone: dateOnly ? 'UTC' : TIME_ZONE,
  }).format(d);
}

/** An instant in Vietnam's time: "17:00 05/01/2025" (vi) / "05 Jan 2025, 17:00" (en). */
export function formatDateTime(value: string | number | Date, lng: Language = currentLanguage()): string {
  const d = toDate(value);
  if (!d) return String(value);
  return new Intl.DateTimeFormat(DATE_LOCALE[lng], {
    day: '2-digit',
    month: lng === 'vi' ? '2-digit' : 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: TIME_ZONE,
  }).format(d);
}

/** 15 → "15 ngày làm việc" / "15 working days" (1 → "1 working day"). */
export function formatWorkingDays(days: number, lng: Language = currentLanguage()): string {
  return i18n.t('format.workingDays', { count: days, n: formatNumber(days, lng), lng });
}

/** A ratio 0–1 → "78,6%" (vi) / "78.6%" (en); null (no data yet) → "—". */
export function formatPercent(ratio: number | null | undefined, lng: Language = currentLanguage()): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return new Intl.NumberFormat(NUMBER_LOCALE[lng], { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}
