import { ConflictException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MessagingService } from '@hoso/messaging';
import type { WorkingCalendar } from '../calendar/domain/working-calendar';
import { CaseQueues } from '../jobs/case-queues';
import type { Defer } from '../jobs/committed-effects';
import { CALENDAR, CLOCK, type Clock } from '../tokens';
import { appendHistory, type CaseRow } from './case.store';
import { clockEffect, decide, type CaseAction } from './domain/case';
import { appendEntry, slaState, type LedgerEntry } from './domain/sla-ledger';

export interface MoveContext {
  actor: { kind: 'citizen' | 'officer' | 'operator' | 'system'; id: string };
  reason: string | null;
  correlationId: string;
  causationId: string | null;
  /** Extra columns written with the move (outcome, result document…). */
  set?: Record<string, unknown>;
  /**
   * Where the move hands its job changes (SLA timers) to run once its transaction has committed: a move that rolls
   * back must leave the jobs of the clock it did not change.
   */
  defer: Defer;
}

/**
 * Applies one state-machine move: decide (pure), write with the optimistic lock (`version`), append history,
 * publish `case.status-changed.v2` through the outbox, and keep the SLA clock and (after the commit) its jobs in step.
 */
@Injectable()
export class CaseMoves {
  constructor(
    private readonly messaging: MessagingService,
    private readonly queues: CaseQueues,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async move(m: EntityManager, c: CaseRow, action: CaseAction, ctx: MoveContext): Promise<CaseRow> {
    const d = decide(
      {
        status: c.status,
        agencyCode: c.agency_code,
        assignee: c.assignee,
        applicantPersonalId: c.applicant_personal_id,
      },
      action,
    );
    if (!d.ok) {
      if (d.reason === 'not-assignee' || d.reason === 'not-applicant') throw new ForbiddenException(d.message);
      throw new ConflictException(d.message);
    }
    const now = this.clock.now();
    const effect = clockEffect(c.status, d.to);
    let ledger: LedgerEntry[] = c.sla_ledger;
    if (effect === 'pause') ledger = appendEntry(ledger, { kind: 'pause', at: now.toISOString() });
    if (effect === 'resume') ledger = appendEntry(ledger, { kind: 'resume', at: now.toISOString() });
    if (d.to === 'TRANSFERRED')
      ledger = appendEntry(ledger, {
        kind: 'transfer',
        at: now.toISOString(),
        fromAgencyCode: c.agency_code,
        toAgencyCode: d.agencyCode,
      });
    const sla = slaState(ledger, this.calendar);
    const extra = Object.entries(ctx.set ?? {});
    const [rows] = await m.query<[CaseRow[], number]>(
      `UPDATE cases SET status = $3, assignee = $4, agency_code = $5, sla_ledger = $6, due_at = $7, clock_version = $8,
         version = version + 1, updated_at = now() ${extra.map(([k], i) => `, ${k} = $${i + 9}`).join('')}
       WHERE id = $1 AND version = $2 RETURNING *`,
      [
        c.id,
        c.version,
        d.to,
        d.assignee,
        d.agencyCode,
        JSON.stringify(ledger),
        sla.dueAt,
        sla.clockVersion,
        ...extra.map(([, v]) => v),
      ],
    );
    const updated = rows[0];
    // Someone else moved the case since it was read: exactly one concurrent writer wins.
    if (!updated) throw new ConflictException('the case was changed by someone else; reload it and try again');
    await appendHistory(m, {
      caseId: c.id,
      dossierId: c.dossier_id,
      kind: 'MOVE',
      from: c.status,
      to: d.to,
      actor: ctx.actor,
      reason: ctx.reason,
      at: now,
      dueAt: sla.dueAt,
      fromAgencyCode: c.agency_code,
      toAgencyCode: d.to === 'TRANSFERRED' ? d.agencyCode : null,
    });
    // The completion is stated by case.completed.v1, written by the caller in this transaction; v2 does not repeat
    // it as a move (nor the reception: case.received.v1).
    if (d.to !== 'COMPLETED' && d.to !== 'RECEIVED') {
      await this.messaging.outbox.add(
        m,
        'case.status-changed.v2',
        {
          dossierId: c.dossier_id,
          caseId: c.id,
          agencyCode: d.agencyCode,
          from: c.status,
          to: d.to,
          actor: ctx.actor,
          reason: ctx.reason,
          changedAt: now.toISOString(),
          dueAt: sla.dueAt.toISOString(),
          ...(d.to === 'TRANSFERRED' ? { toAgencyCode: d.agencyCode } : {}),
        },
        { dossierId: c.dossier_id, correlationId: ctx.correlationId, causationId: ctx.causationId },
      );
    }
    // After the commit, the jobs follow the clock (jobs of a stale version also no-op in the worker, so a cancel
    // that fails only costs a no-op run; a schedule that fails is redone by the timer rebuild).
    if (effect === 'pause' || effect === 'stop') ctx.defer(() => this.queues.cancelSla(c.id, c.clock_version));
    if (effect === 'resume') {
      ctx.defer(() => this.queues.cancelSla(c.id, c.clock_version));
      ctx.defer(() => this.queues.scheduleSla(c.id, sla.clockVersion, sla.warnAt, sla.dueAt, now));
    }
    return updated;
  }
}
