import { loadCalendar } from '../../calendar/holidays';
import { appendEntry, slaState, startLedger } from './sla-ledger';

const cal = loadCalendar();
const vn = (s: string) => new Date(`${s}+07:00`);

describe('SLA ledger', () => {
  const start = startLedger(vn('2026-03-02T09:00:00'), 3, 'P01'); // due Thu 5 March 17:00

  it('starts with the computed due date and a warning at 80 % of the allowed time', () => {
    const s = slaState(start, cal);
    expect(s.dueAt.toISOString()).toBe('2026-03-05T10:00:00.000Z');
    const allowed = s.dueAt.getTime() - vn('2026-03-02T09:00:00').getTime();
    expect(s.warnAt?.getTime()).toBe(s.dueAt.getTime() - 0.2 * allowed);
    expect(s).toMatchObject({ paused: false, pausedWorkingDays: 0, clockVersion: 1 });
  });

  it('a pause shifts the due date by the paused working days once resumed', () => {
    let l = appendEntry(start, { kind: 'pause', at: vn('2026-03-03T10:00:00').toISOString() });
    const paused = slaState(l, cal);
    expect(paused).toMatchObject({ paused: true, warnAt: null, clockVersion: 2 });
    expect(paused.dueAt.toISOString()).toBe('2026-03-05T10:00:00.000Z');
    // paused Tuesday, resumed Monday 9 March: Wed, Thu, Fri, Mon = 4 working days
    l = appendEntry(l, { kind: 'resume', at: vn('2026-03-09T08:00:00').toISOString() });
    const s = slaState(l, cal);
    expect(s).toMatchObject({ paused: false, pausedWorkingDays: 4, clockVersion: 3 });
    expect(s.dueAt.toISOString()).toBe('2026-03-11T10:00:00.000Z');
  });

  it('a pause spanning Tết counts only working days', () => {
    let l = startLedger(vn('2026-02-11T09:00:00'), 5, 'P01'); // Wed; due Thu 26 Feb (12, 13, 23, 24, 25 → no: 5th = 25?)
    const base = slaState(l, cal).dueAt;
    expect(base.toISOString()).toBe('2026-02-25T10:00:00.000Z'); // 12, 13, 23, 24, 25
    l = appendEntry(l, { kind: 'pause', at: vn('2026-02-13T09:00:00').toISOString() });
    l = appendEntry(l, { kind: 'resume', at: vn('2026-02-23T09:00:00').toISOString() });
    const s = slaState(l, cal);
    expect(s.pausedWorkingDays).toBe(1); // only Monday 23 Feb; the whole Tết week is not a working day
    expect(s.dueAt.toISOString()).toBe('2026-02-26T10:00:00.000Z');
  });

  it('same-day pause and resume costs nothing; repeated pauses add up', () => {
    let l = appendEntry(start, { kind: 'pause', at: vn('2026-03-02T10:00:00').toISOString() });
    l = appendEntry(l, { kind: 'resume', at: vn('2026-03-02T15:00:00').toISOString() });
    expect(slaState(l, cal).pausedWorkingDays).toBe(0);
    l = appendEntry(l, { kind: 'pause', at: vn('2026-03-03T10:00:00').toISOString() });
    l = appendEntry(l, { kind: 'resume', at: vn('2026-03-04T10:00:00').toISOString() });
    expect(slaState(l, cal)).toMatchObject({ pausedWorkingDays: 1, clockVersion: 5 });
  });

  it('a transfer keeps the elapsed time and the deadline', () => {
    const l = appendEntry(start, {
      kind: 'transfer',
      at: vn('2026-03-04T09:00:00').toISOString(),
      fromAgencyCode: 'P01',
      toAgencyCode: 'BTP',
    });
    expect(slaState(l, cal)).toEqual(slaState(start, cal));
  });

  it('refuses a ledger without a start', () => {
    expect(() => slaState([{ kind: 'pause', at: new Date().toISOString() }], cal)).toThrow(/start/);
  });
});
