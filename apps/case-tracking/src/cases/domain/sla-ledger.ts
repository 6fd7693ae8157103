import { localDate, endOfWorkingDay, type WorkingCalendar } from '../../calendar/domain/working-calendar';

/**
 * The SLA clock of one case as an append-only ledger. The due date is never stored as the truth: it is
 * recomputed from the ledger, so a pause, a resume or a transfer can always be explained afterwards.
 */
export type LedgerEntry =
  | { kind: 'start'; at: string; workingDays: number; agencyCode: string }
  | { kind: 'pause'; at: string }
  | { kind: 'resume'; at: string }
  | { kind: 'transfer'; at: string; fromAgencyCode: string; toAgencyCode: string };

export interface SlaState {
  dueAt: Date;
  /** When the 80 % warning is due (null while the clock is paused). */
  warnAt: Date | null;
  paused: boolean;
  /** Working days the due date moved because the clock was paused. */
  pausedWorkingDays: number;
  /** Changes whenever scheduled SLA jobs become stale (pause, resume): part of their job ids. */
  clockVersion: number;
}

export const WARNING_FRACTION = 0.8;

export function startLedger(at: Date, workingDays: number, agencyCode: string): LedgerEntry[] {
  return [{ kind: 'start', at: at.toISOString(), workingDays, agencyCode }];
}

export function slaState(ledger: readonly LedgerEntry[], calendar: WorkingCalendar): SlaState {
  const start = ledger[0];
  if (start?.kind !== 'start') throw new Error('an SLA ledger begins with its start entry');
  const startedAt = new Date(start.at);
  const baseDue = calendar.dueAt(startedAt, start.workingDays);
  let pausedWorkingDays = 0;
  let pausedAt: string | null = null;
  let clockVersion = 1;
  for (const e of ledger.slice(1)) {
    switch (e.kind) {
      case 'pause':
        if (pausedAt === null) {
          pausedAt = e.at;
          clockVersion++;
        }
        break;
      case 'resume':
        if (pausedAt !== null) {
          // The citizen's time does not count: every working day after the pause day up to the day they supplied.
          pausedWorkingDays += calendar.workingDaysBetween(localDate(new Date(pausedAt)), localDate(new Date(e.at)));
          pausedAt = null;
          clockVersion++;
        }
        break;
      case 'transfer':
      case 'start':
        // A transfer keeps the elapsed time: the receiving agency inherits the same deadline.
        break;
    }
  }
  const dueAt = endOfWorkingDay(calendar.addWorkingDays(localDate(baseDue), pausedWorkingDays));
  const allowedMs = baseDue.getTime() - startedAt.getTime();
  return {
    dueAt,
    warnAt: pausedAt === null ? new Date(dueAt.getTime() - (1 - WARNING_FRACTION) * allowedMs) : null,
    paused: pausedAt !== null,
    pausedWorkingDays,
    clockVersion,
  };
}

export function appendEntry(ledger: readonly LedgerEntry[], entry: LedgerEntry): LedgerEntry[] {
  return [...ledger, entry];
}
