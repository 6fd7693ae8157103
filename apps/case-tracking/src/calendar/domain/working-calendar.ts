/**
 * Working days of Vietnamese public administration: Monday–Friday, minus public holidays and bridge days,
 * plus the Saturdays announced as compensating working days. Holidays are data (one file per year), so a
 * new year's announcement is a data change, not a code change.
 *
 * Vietnam has no daylight saving time: Asia/Ho_Chi_Minh is always UTC+7, so local dates are computed with a
 * fixed offset instead of a time-zone database.
 */
export const VN_OFFSET_MS = 7 * 3_600_000;
/** Offices close at 17:00; a due date is the end of that working day. */
export const END_OF_WORKING_DAY_HOUR = 17;

export interface HolidayYear {
  year: number;
  status: 'announced' | 'provisional';
  source: string;
  daysOff: { date: string; name: string }[];
  workingWeekendDays: { date: string; name: string }[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of an instant in Vietnam. */
export function localDate(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant the office closes on a local date. */
export function endOfWorkingDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - VN_OFFSET_MS + END_OF_WORKING_DAY_HOUR * 3_600_000);
}

export function nextDate(date: string, days = 1): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export class WorkingCalendar {
  private readonly daysOff = new Map<string, string>();
  private readonly workingWeekendDays = new Set<string>();
  private readonly years = new Set<number>();

  constructor(years: readonly HolidayYear[]) {
    for (const y of years) {
      for (const d of [...y.daysOff, ...y.workingWeekendDays]) {
        if (!DATE.test(d.date) || !d.date.startsWith(`${y.year}-`)) {
          throw new Error(`holiday file ${y.year}: bad date "${d.date}"`);
        }
      }
      this.years.add(y.year);
      for (const d of y.daysOff) this.daysOff.set(d.date, d.name);
      for (const d of y.workingWeekendDays) this.workingWeekendDays.add(d.date);
    }
  }

  /** Years whose holidays are known; due dates beyond them count weekends only. */
  knownYears(): number[] {
    return [...this.years].sort();
  }

  holidayName(date: string): string | undefined {
    return this.daysOff.get(date);
  }

  isWorkingDay(date: string): boolean {
    if (this.workingWeekendDays.has(date)) return true;
    if (this.daysOff.has(date)) return false;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  /** The n-th working day after `date` (n = 0: `date` itself if it is a working day, else the next one). */
  addWorkingDays(date: string, n: number): string {
    let d = date;
    if (n === 0) {
      while (!this.isWorkingDay(d)) d = nextDate(d);
      return d;
    }
    let left = n;
    while (left > 0) {
      d = nextDate(d);
      if (this.isWorkingDay(d)) left--;
    }
    return d;
  }

  /** Working days in the half-open local-date range (from, to]: how many working days passed between them. */
  workingDaysBetween(from: string, to: string): number {
    let count = 0;
    for (let d = nextDate(from); d <= to; d = nextDate(d)) if (this.isWorkingDay(d)) count++;
    return count;
  }

  /**
   * Due date of a dossier received at `receivedAt` with `workingDays` to process it: the reception day is not
   * counted (a dossier received on Friday afternoon or on Saturday starts counting on the next working day),
   * and the dossier is due at the close of the last working day.
   */
  dueAt(receivedAt: Date, workingDays: number): Date {
    return endOfWorkingDay(this.addWorkingDays(localDate(receivedAt), workingDays));
  }
}
