import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WorkingCalendar, type HolidayYear } from './domain/working-calendar';

const day = z.strictObject({ date: z.iso.date(), name: z.string().min(1) });
const holidayYear = z.strictObject({
  year: z.number().int().min(2000).max(2100),
  status: z.enum(['announced', 'provisional']),
  source: z.string().min(1),
  daysOff: z.array(day),
  workingWeekendDays: z.array(day),
});

export const HOLIDAY_DIR = join(__dirname, 'holidays');

/** Reads every `<year>.json` of the holiday directory (validated) once at start-up. */
export function loadHolidayYears(dir = HOLIDAY_DIR): HolidayYear[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}\.json$/.test(f))
    .sort()
    .map((f) => {
      const parsed = holidayYear.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`holiday file ${f}: ${parsed.error.message}`);
      if (`${parsed.data.year}.json` !== f) throw new Error(`holiday file ${f} declares year ${parsed.data.year}`);
      return parsed.data;
    });
}

export function loadCalendar(dir = HOLIDAY_DIR): WorkingCalendar {
  return new WorkingCalendar(loadHolidayYears(dir));
}
