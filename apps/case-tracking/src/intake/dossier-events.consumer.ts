import { Inject, Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { v7 as uuidv7 } from 'uuid';
import type { Catalog, DossierSubmittedV1, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, MessagingService, type HandlerContext, type EventContext } from '@hoso/messaging';
import type { WorkingCalendar } from '../calendar/domain/working-calendar';
import { CaseMoves } from '../cases/case-moves';
import { appendHistory, loadCase } from '../cases/case.store';
import { gate, isFullyOnline } from '../cases/domain/case';
import { slaState, startLedger } from '../cases/domain/sla-ledger';
import { CaseQueues } from '../jobs/case-queues';
import { CommittedEffects } from '../jobs/committed-effects';
import { decideNotification } from '../notifications/case-notifications';
import { CALENDAR, CLOCK, type Clock } from '../tokens';

type Ev<T extends Topic> = EventOf<Catalog, T>;

interface DossierRow {
  dossier_id: string;
  submitted: DossierSubmittedV1 | null;
  identity_status: 'VERIFIED' | 'REJECTED' | null;
  payment_status: 'COMPLETED' | 'WAIVED' | 'FAILED' | null;
  paid_online: boolean | null;
  ended_reason: string | null;
  case_id: string | null;
}

/**
 * Gathers the three facts a case needs (submitted, identity verified, payment settled) from topics that
 * arrive in any order. Each event upserts the dossier's row (the upsert locks it, so two topics' handlers
 * serialise) and the event that completes the set opens the case — once.
 */
@Controller()
export class DossierEventsConsumer {
  constructor(
    private readonly messaging: MessagingService,
    private readonly moves: CaseMoves,
    private readonly queues: CaseQueues,
    private readonly effects: CommittedEffects,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('DossierEventsConsumer');
  }

  @EventPattern('dossier.submitted.v1')
  async onSubmitted(@Payload() e: Ev<'dossier.submitted.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    const p = e.payload;
    await this.record(ctx, e);
    const row = await this.upsert(ctx, p.dossierId, {
      submitted: JSON.stringify(p),
      applicant_personal_id: p.applicant.personalId,
      agency_code: p.agencyCode,
    });
    await this.openIfReady(ctx, row, e);
  }

  @EventPattern('identity.verified.v1')
  async onVerified(@Payload() e: Ev<'identity.verified.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    await this.openIfReady(ctx, await this.upsert(ctx, e.payload.dossierId, { identity_status: 'VERIFIED' }), e);
  }

  @EventPattern('identity.rejected.v1')
  async onRejected(@Payload() e: Ev<'identity.rejected.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    await this.upsert(ctx, e.payload.dossierId, {
      identity_status: 'REJECTED',
      ended_reason: `IDENTITY_REJECTED: ${e.payload.reason}`,
    });
  }

  @EventPattern('payment.completed.v1')
  async onPaid(@Payload() e: Ev<'payment.completed.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    const row = await this.upsert(ctx, e.payload.dossierId, {
      payment_status: 'COMPLETED',
      paid_online: e.payload.online,
    });
    await this.openIfReady(ctx, row, e);
  }

  @EventPattern('payment.waived.v1')
  async onWaived(@Payload() e: Ev<'payment.waived.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    // Nothing to pay counts as settled online: the citizen never had to go to a counter.
    const row = await this.upsert(ctx, e.payload.dossierId, { payment_status: 'WAIVED', paid_online: true });
    await this.openIfReady(ctx, row, e);
  }

  @EventPattern('payment.failed.v1')
  async onPaymentFailed(@Payload() e: Ev<'payment.failed.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    // A declined card can be retried; only a final failure ends the dossier.
    if (e.payload.final)
      await this.upsert(ctx, e.payload.dossierId, {
        payment_status: 'FAILED',
        ended_reason: `PAYMENT_FAILED: ${e.payload.reason}`,
      });
  }

  @EventPattern('payment.refunded.v1')
  async onRefunded(@Payload() e: Ev<'payment.refunded.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
  }

  @EventPattern('dossier.withdrawn.v1')
  async onWithdrawn(@Payload() e: Ev<'dossier.withdrawn.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, e);
    const row = await this.upsert(ctx, e.payload.dossierId, {});
    if (!row.case_id) {
      await this.upsert(ctx, e.payload.dossierId, { ended_reason: 'WITHDRAWN' });
      return;
    }
    const c = await loadCase(ctx.manager, row.case_id);
    if (!c) return;
    if (
      c.status !== 'RECEIVED' &&
      c.status !== 'TRANSFERRED' &&
      c.status !== 'IN_PROCESS' &&
      c.status !== 'SUPPLEMENT_REQUESTED'
    ) {
      // Too late: a decision exists. Kept in the timeline (the event is recorded), the case goes on.
      this.log.warn({ caseId: c.id, status: c.status }, 'withdrawal after a decision ignored');
      return;
    }
    await this.moves.move(
      ctx.manager,
      c,
      { kind: 'withdraw' },
      {
        actor: { kind: 'citizen', id: c.applicant_personal_id },
        reason: e.payload.reason,
        correlationId: e.correlationId,
        causationId: e.eventId,
        defer: this.effects.afterFlush(ctx),
      },
    );
  }

  /** Every consumed event is kept for the citizen's timeline. */
  private async record(ctx: HandlerContext, e: Ev<Topic>): Promise<void> {
    await ctx.manager.query(
      `INSERT INTO dossier_events (event_id, dossier_id, type, occurred_at, payload) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (event_id) DO NOTHING`,
      [e.eventId, (e.payload as { dossierId: string }).dossierId, e.type, e.occurredAt, JSON.stringify(e.payload)],
    );
  }

  private async upsert(ctx: HandlerContext, dossierId: string, set: Record<string, unknown>): Promise<DossierRow> {
    const cols = Object.keys(set);
    const [row] = await ctx.manager.query<DossierRow[]>(
      `INSERT INTO case_dossiers (dossier_id${cols.map((c) => `, ${c}`).join('')})
       VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')})
       ON CONFLICT (dossier_id) DO UPDATE SET updated_at = now()
         ${cols.map((c) => `, ${c} = COALESCE(case_dossiers.${c}, EXCLUDED.${c})`).join('')}
       RETURNING *`,
      [dossierId, ...Object.values(set)],
    );
    if (!row) throw new Error(`upsert of dossier ${dossierId} returned nothing`);
    return row;
  }

  private async openIfReady(ctx: HandlerContext, d: DossierRow, e: Ev<Topic>): Promise<void> {
    const g = gate({
      submitted: d.submitted !== null,
      identity: d.identity_status,
      payment: d.payment_status,
      endedReason: d.ended_reason,
      hasCase: d.case_id !== null,
    });
    if (!g.open || !d.submitted) return;
    const s = d.submitted;
    const m = ctx.manager;
    const now = this.clock.now();
    const caseId = uuidv7();
    const ledger = startLedger(now, s.processingWorkingDays, s.agencyCode);
    const sla = slaState(ledger, this.calendar);
    const fullyOnline = isFullyOnline({ channel: s.channel, serviceLevel: s.serviceLevel, paidOnline: d.paid_online });
    await m.query(
      `INSERT INTO cases (id, dossier_id, receipt_code, procedure_code, province_code, agency_code, applicant_personal_id,
         status, processing_working_days, received_at, due_at, sla_ledger, clock_version, fully_online)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'RECEIVED', $8, $9, $10, $11, $12, $13)`,
      [
        caseId,
        s.dossierId,
        s.receiptCode,
        s.procedureCode,
        s.provinceCode,
        s.agencyCode,
        s.applicant.personalId,
        s.processingWorkingDays,
        now,
        sla.dueAt,
        JSON.stringify(ledger),
        sla.clockVersion,
        fullyOnline,
      ],
    );
    await m.query(`UPDATE case_dossiers SET case_id = $2 WHERE dossier_id = $1`, [s.dossierId, caseId]);
    const actor = { kind: 'system' as const, id: 'case-tracking' };
    await appendHistory(m, {
      caseId,
      dossierId: s.dossierId,
      kind: 'MOVE',
      from: null,
      to: 'RECEIVED',
      actor,
      reason: null,
      at: now,
      dueAt: sla.dueAt,
      fromAgencyCode: s.agencyCode,
      toAgencyCode: null,
    });
    const meta = { dossierId: s.dossierId, correlationId: e.correlationId, causationId: e.eventId };
    // The reception is one event: case.received.v1 (case.status-changed.v2 carries the moves after it).
    await this.messaging.outbox.addMany(m, [
      {
        topic: 'case.received.v1',
        payload: {
          dossierId: s.dossierId,
          caseId,
          receiptCode: s.receiptCode,
          agencyCode: s.agencyCode,
          procedureCode: s.procedureCode,
          provinceCode: s.provinceCode,
          receivedAt: now.toISOString(),
          dueAt: sla.dueAt.toISOString(),
          processingWorkingDays: s.processingWorkingDays,
        },
        meta,
      },
    ]);
    // Decided here, done after the flush commits: a rolled-back or redone flush mails nobody and leaves no timer
    // (its case id never existed). The rows let the timer rebuild redo whatever does not run after the commit.
    const key = await decideNotification(m, {
      caseId,
      recipientPersonalId: s.applicant.personalId,
      dossierId: s.dossierId,
      channel: 'EMAIL',
      kind: 'CASE_RECEIVED',
      subject: `Hồ sơ ${s.receiptCode} đã được tiếp nhận`,
      body: `Hồ sơ ${s.receiptCode} (thủ tục ${s.procedureCode}) đã được ${s.agencyCode} tiếp nhận. Hạn trả kết quả: ${sla.dueAt.toISOString()}.`,
    });
    const defer = this.effects.afterFlush(ctx);
    defer(() => this.queues.scheduleSla(caseId, sla.clockVersion, sla.warnAt, sla.dueAt, now));
    defer(() => this.queues.enqueueNotification(key));
  }
}
