import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TimerKeeper } from '@hoso/nest-kit';
import type { WorkingCalendar } from '../calendar/domain/working-calendar';
import { CLOCK_RUNNING } from '../cases/domain/case';
import { slaState, type LedgerEntry } from '../cases/domain/sla-ledger';
import { CALENDAR, CLOCK, type Clock } from '../tokens';
import { CaseQueues, type SlaTimers } from './case-queues';

/** Rows per page of the rebuild: one query and one Redis round trip each, never the whole table at once. */
export const REBUILD_PAGE = 500;

const FIRST_UUID = '00000000-0000-0000-0000-000000000000';
/** Literals, so the planner matches the partial index cases_clock_running (a bound array would not). */
const CLOCK_RUNNING_SQL = `(${CLOCK_RUNNING.map((s) => `'${s}'`).join(', ')})`;

/**
 * The case-tracking jobs that PostgreSQL's committed state calls for, registered with the service's TimerKeeper:
 * it adds them at start, at once when Redis lost its data, and every minute (which also covers a process that died
 * between a commit and the enqueue after it). Job ids are deterministic, so an add of a job that exists is a no-op,
 * and the workers re-read the rows, so a job that already ran and is added again does nothing.
 */
@Injectable()
export class CaseTimers implements OnModuleInit {
  constructor(
    private readonly keeper: TimerKeeper,
    private readonly ds: DataSource,
    private readonly queues: CaseQueues,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.keeper.register({ name: 'case-sla', ensure: () => this.ensureSla() });
    this.keeper.register({ name: 'case-notifications', ensure: () => this.ensureNotifications() });
  }

  /**
   * Every case whose clock runs and that is not overdue yet gets the warning (unless given for this clock version)
   * and the overdue job of its current clock version; a time already past runs at once.
   */
  async ensureSla(): Promise<number> {
    let after = FIRST_UUID;
    let ensured = 0;
    for (;;) {
      const rows = await this.ds.query<
        { id: string; sla_ledger: LedgerEntry[]; clock_version: number; sla_warned_version: number | null }[]
      >(
        `SELECT id, sla_ledger, clock_version, sla_warned_version FROM cases
         WHERE status IN ${CLOCK_RUNNING_SQL} AND NOT overdue AND id > $1 ORDER BY id LIMIT $2`,
        [after, REBUILD_PAGE],
      );
      const timers: SlaTimers[] = rows.map((r) => {
        const sla = slaState(r.sla_ledger, this.calendar);
        return {
          caseId: r.id,
          clockVersion: r.clock_version,
          warnAt: r.sla_warned_version === r.clock_version ? null : sla.warnAt,
          dueAt: sla.dueAt,
        };
      });
      ensured += await this.queues.scheduleSlaMany(timers, this.clock.now());
      const last = rows[rows.length - 1];
      if (!last || rows.length < REBUILD_PAGE) return ensured;
      after = last.id;
    }
  }

  /** Every notification decided and neither sent nor given up is queued again under its key. */
  async ensureNotifications(): Promise<number> {
    let after = '0';
    let ensured = 0;
    for (;;) {
      const rows = await this.ds.query<{ id: string; idempotency_key: string }[]>(
        `SELECT id, idempotency_key FROM case_notifications
         WHERE sent_at IS NULL AND failed_at IS NULL AND id > $1 ORDER BY id LIMIT $2`,
        [after, REBUILD_PAGE],
      );
      ensured += await this.queues.enqueueNotifications(rows.map((r) => r.idempotency_key));
      const last = rows[rows.length - 1];
      if (!last || rows.length < REBUILD_PAGE) return ensured;
      after = last.id;
    }
  }
}
