import { loadCalendar } from '../holidays';
import { localDate, WorkingCalendar } from './working-calendar';

const cal = loadCalendar();
const vn = (s: string) => new Date(`${s}+07:00`);

describe('WorkingCalendar (holidays as data)', () => {
  it('loads 2025–2027 from the versioned files', () => {
    expect(cal.knownYears()).toEqual([2025, 2026, 2027]);
    expect(cal.holidayName('2026-02-17')).toMatch(/Tết/);
  });

  it('skips weekends and counts from the day after reception', () => {
    // Monday 2 March 2026, 3 working days → Thursday 5 March 17:00 (+07)
    expect(cal.dueAt(vn('2026-03-02T09:00:00'), 3).toISOString()).toBe('2026-03-05T10:00:00.000Z');
    // Friday → Wednesday
    expect(localDate(cal.dueAt(vn('2026-03-06T16:00:00'), 3))).toBe('2026-03-11');
  });

  it('a dossier received on a weekend starts counting on Monday', () => {
    expect(localDate(cal.dueAt(vn('2026-03-07T10:00:00'), 1))).toBe('2026-03-09');
    expect(localDate(cal.dueAt(vn('2026-03-08T23:30:00'), 3))).toBe('2026-03-11');
    expect(localDate(cal.dueAt(vn('2026-03-07T10:00:00'), 0))).toBe('2026-03-09');
  });

  it('uses the local date in Asia/Ho_Chi_Minh, not UTC', () => {
    // 2026-03-06T18:00Z is Saturday 01:00 in Hanoi
    expect(localDate(new Date('2026-03-06T18:00:00Z'))).toBe('2026-03-07');
  });

  it('jumps over Tết 2026 (14–22 February)', () => {
    // Friday 13 Feb 2026 + 1 working day → Monday 23 Feb
    expect(localDate(cal.dueAt(vn('2026-02-13T09:00:00'), 1))).toBe('2026-02-23');
    for (const d of ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']) {
      expect(cal.isWorkingDay(d)).toBe(false);
    }
  });

  it('honours bridge days and the Saturday worked to compensate them (2025)', () => {
    expect(cal.isWorkingDay('2025-05-02')).toBe(false); // bridge Friday
    expect(cal.isWorkingDay('2025-04-26')).toBe(true); // Saturday worked instead
    // Friday 25 April 2025 + 1 → Saturday 26 April (a working day)
    expect(localDate(cal.dueAt(vn('2025-04-25T09:00:00'), 1))).toBe('2025-04-26');
    // Tuesday 29 April + 1 → Monday 5 May (30/4, 1/5, bridge 2/5, weekend)
    expect(localDate(cal.dueAt(vn('2025-04-29T09:00:00'), 1))).toBe('2025-05-05');
  });

  it('National Day has its adjacent day from 2025 and Hùng Kings moves with the lunar calendar', () => {
    expect(cal.isWorkingDay('2025-09-01')).toBe(false);
    expect(cal.isWorkingDay('2026-09-01')).toBe(false);
    expect(cal.isWorkingDay('2025-04-07')).toBe(false);
    expect(cal.isWorkingDay('2026-04-27')).toBe(false);
  });

  it('counts working days between two dates (half-open)', () => {
    expect(cal.workingDaysBetween('2026-03-02', '2026-03-02')).toBe(0);
    expect(cal.workingDaysBetween('2026-03-02', '2026-03-09')).toBe(5);
    expect(cal.workingDaysBetween('2026-02-13', '2026-02-23')).toBe(1);
  });

  it('refuses a holiday file with a date outside its year', () => {
    expect(
      () =>
        new WorkingCalendar([
          {
            year: 2030,
            status: 'provisional',
            source: 'x',
            daysOff: [{ date: '2031-01-01', name: 'x' }],
            workingWeekendDays: [],
          },
        ]),
    ).toThrow(/bad date/);
  });
});
