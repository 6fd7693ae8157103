/**
 * Vietnam time. Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and
 * keeps this code free of time-zone databases.
 */
const VN_OFFSET_MS = 7 * 3600 * 1000;
export const VN_OFFSET = '+07:00';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The Asia/Ho_Chi_Minh calendar day (YYYY-MM-DD) of an instant. */
export function vnDay(instant: Date | string): string {
  const t = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (Number.isNaN(t)) throw new Error(`not an instant: ${String(instant)}`);
  return new Date(t + VN_OFFSET_MS).toISOString().slice(0, 10);
}

export function isDay(s: string): boolean {
  return (
    DAY.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s)
  );
}

/** An inclusive range of Vietnam days; `null` bounds are open. */
export interface DayRange {
  from: string | null;
  to: string | null;
}

/** The Vietnam calendar month containing `now`: its first and last day, and the instants bounding it. */
export function vnMonthOf(now: Date): { fromDay: string; toDay: string; from: string; to: string } {
  const day = vnDay(now);
  const [y, m] = day.split('-').map(Number) as [number, number];
  const next = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 };
  const pad = (n: number) => String(n).padStart(2, '0');
  const fromDay = `${y}-${pad(m)}-01`;
  const nextDay = `${next.y}-${pad(next.m)}-01`;
  const lastDay = new Date(Date.parse(`${nextDay}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return {
    fromDay,
    toDay: lastDay,
    from: `${fromDay}T00:00:00.000${VN_OFFSET}`,
    to: `${nextDay}T00:00:00.000${VN_OFFSET}`,
  };
}
