import { Inject, Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { v7 as uuidv7 } from 'uuid';
import type { Catalog, DossierSubmittedV1, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, MessagingService, type HandlerContext, type EventContext } from '@hoso/messaging';
import { valuesList } from '@hoso/persistence';
import type { WorkingCalendar } from '../calendar/domain/working-calendar';
import { CaseMoves } from '../cases/case-moves';
import { appendHistoryMany, loadCase } from '../cases/case.store';
import { gate, isFullyOnline } from '../cases/domain/case';
import { slaState, startLedger } from '../cases/domain/sla-ledger';
import { CaseQueues } from '../jobs/case-queues';
import { CaseWorkers } from '../jobs/case-workers';
import { CommittedEffects } from '../jobs/committed-effects';
import { decideNotifications } from '../notifications/case-notifications';
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
 * serialise) and the event that completes the set opens the case — once. A topic's events of one flush are taken
 * as a set: one statement records them, one upserts their dossiers, and the cases they complete are opened with
 * one statement per table, so a flush costs the same round trips for one dossier or a thousand.
 */
@Controller()
export class DossierEventsConsumer {
  constructor(
    private readonly messaging: MessagingService,
    private readonly moves: CaseMoves,
    private readonly queues: CaseQueues,
    private readonly workers: CaseWorkers,
    private readonly effects: CommittedEffects,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('DossierEventsConsumer');
  }

  @EventPattern('dossier.submitted.v1', { batch: true })
  async onSubmitted(@Payload() events: readonly Ev<'dossier.submitted.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, events, (p) => ({
      submitted: JSON.stringify(p),
      applicant_personal_id: p.applicant.personalId,
      agency_code: p.agencyCode,
    }));
  }

  @EventPattern('identity.verified.v1', { batch: true })
  async onVerified(@Payload() events: readonly Ev<'identity.verified.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, events, () => ({ identity_status: 'VERIFIED' }));
  }

  @EventPattern('identity.rejected.v1', { batch: true })
  async onRejected(@Payload() events: readonly Ev<'identity.rejected.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(
      ctx,
      events,
      (p) => ({ identity_status: 'REJECTED', ended_reason: `IDENTITY_REJECTED: ${p.reason}` }),
      { open: false },
    );
  }

  @EventPattern('payment.completed.v1', { batch: true })
  async onPaid(@Payload() events: readonly Ev<'payment.completed.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, events, (p) => ({ payment_status: 'COMPLETED', paid_online: p.online }));
  }

  @EventPattern('payment.waived.v1', { batch: true })
  async onWaived(@Payload() events: readonly Ev<'payment.waived.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    // Nothing to pay counts as settled online: the citizen never had to go to a counter.
    await this.apply(ctx, events, () => ({ payment_status: 'WAIVED', paid_online: true }));
  }

  @EventPattern('payment.failed.v1', { batch: true })
  async onPaymentFailed(
    @Payload() events: readonly Ev<'payment.failed.v1'>[],
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    // A declined card can be retried; only a final failure ends the dossier.
    await this.apply(
      ctx,
      events,
      (p) => (p.final ? { payment_status: 'FAILED', ended_reason: `PAYMENT_FAILED: ${p.reason}` } : null),
      { open: false },
    );
  }

  @EventPattern('payment.refunded.v1', { batch: true })
  async onRefunded(@Payload() events: readonly Ev<'payment.refunded.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, events);
  }

  @EventPattern('dossier.withdrawn.v1')
  async onWithdrawn(@Payload() e: Ev<'dossier.withdrawn.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.record(ctx, [e]);
    const [row] = await this.upsert(ctx, [{ dossierId: e.payload.dossierId, set: {} }]);
    if (!row?.case_id) {
      await this.upsert(ctx, [{ dossierId: e.payload.dossierId, set: { ended_reason: 'WITHDRAWN' } }]);
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

  /**
   * One topic's events of a flush: all recorded, each dossier's row upserted once (the first event of a dossier
   * counts, as it would have alone: a set column keeps its first value), and the cases the upserts complete opened.
   * `setOf` null: recorded only.
   */
  private async apply<T extends Topic>(
    ctx: HandlerContext,
    events: readonly Ev<T>[],
    setOf: (payload: Ev<T>['payload']) => Record<string, unknown> | null,
    { open = true }: { open?: boolean } = {},
  ): Promise<void> {
    await this.record(ctx, events);
    const first = new Map<string, { event: Ev<T>; set: Record<string, unknown> }>();
    for (const event of events) {
      const dossierId = (event.payload as { dossierId: string }).dossierId;
      const set = setOf(event.payload);
      if (set && !first.has(dossierId)) first.set(dossierId, { event, set });
    }
    const rows = await this.upsert(
      ctx,
      [...first].map(([dossierId, { set }]) => ({ dossierId, set })),
    );
    if (open) {
      await this.openReady(
        ctx,
        rows.map((row) => ({ row, cause: (first.get(row.dossier_id) as { event: Ev<T> }).event })),
      );
    }
  }

  /** Every consumed event is kept for the citizen's timeline. */
  private async record(ctx: HandlerContext, events: readonly Ev<Topic>[]): Promise<void> {
    if (!events.length) return;
    const { sql, params } = valuesList(
      events.map((e) => [
        e.eventId,
        (e.payload as { dossierId: string }).dossierId,
        e.type,
        e.occurredAt,
        JSON.stringify(e.payload),
      ]),
    );
    await ctx.manager.query(
      `INSERT INTO dossier_events (event_id, dossier_id, type, occurred_at, payload) VALUES ${sql}
       ON CONFLICT (event_id) DO NOTHING`,
      params,
    );
  }

  /**
   * Upserts dossiers' rows in one statement (ids in order, so two flushes lock rows in one order); every row sets
   * the same columns. An existing value is kept: the facts arrive once each, a second copy changes nothing.
   */
  private async upsert(
    ctx: HandlerContext,
    rows: readonly { dossierId: string; set: Record<string, unknown> }[],
  ): Promise<DossierRow[]> {
    if (!rows.length) return [];
    const sorted = [...rows].sort((a, b) => (a.dossierId < b.dossierId ? -1 : a.dossierId > b.dossierId ? 1 : 0));
    const cols = Object.keys(sorted[0]?.set ?? {});
    const { sql, params } = valuesList(sorted.map((r) => [r.dossierId, ...cols.map((c) => r.set[c])]));
    const out = await ctx.manager.query<DossierRow[]>(
      `INSERT INTO case_dossiers (dossier_id${cols.map((c) => `, ${c}`).join('')})
       VALUES ${sql}
       ON CONFLICT (dossier_id) DO UPDATE SET updated_at = now()
         ${cols.map((c) => `, ${c} = COALESCE(case_dossiers.${c}, EXCLUDED.${c})`).join('')}
       RETURNING *`,
      params,
    );
    if (out.length !== rows.length) throw new Error(`upsert of ${rows.length} dossiers returned ${out.length} rows`);
    return out;
  }

  /** Opens a case for every dossier whose facts are now complete and that has none yet, all in a few statements. */
  private async openReady(ctx: HandlerContext, candidates: readonly { row: DossierRow; cause: Ev<Topic> }[]) {
    const now = this.clock.now();
    const opened = candidates.flatMap(({ row: d, cause }) => {
      const g = gate({
        submitted: d.submitted !== null,
        identity: d.identity_status,
        payment: d.payment_status,
        endedReason: d.ended_reason,
        hasCase: d.case_id !== null,
      });
      if (!g.open || !d.submitted) return [];
      const s = d.submitted;
      const ledger = startLedger(now, s.processingWorkingDays, s.agencyCode);
      const sla = slaState(ledger, this.calendar);
      const fullyOnline = isFullyOnline({
        channel: s.channel,
        serviceLevel: s.serviceLevel,
        paidOnline: d.paid_online,
      });
      return [{ caseId: uuidv7(), s, ledger, sla, fullyOnline, cause }];
    });
    if (!opened.length) return;
    const m = ctx.manager;
    const cases = valuesList(
      opened.map(({ caseId, s, ledger, sla, fullyOnline }) => [
        caseId,
        s.dossierId,
        s.receiptCode,
        s.procedureCode,
        s.provinceCode,
        s.agencyCode,
        s.applicant.personalId,
        'RECEIVED',
        s.processingWorkingDays,
        now,
        sla.dueAt,
        JSON.stringify(ledger),
        sla.clockVersion,
        fullyOnline,
      ]),
    );
    await m.query(
      `INSERT INTO cases (id, dossier_id, receipt_code, procedure_code, province_code, agency_code, applicant_personal_id,
         status, processing_working_days, received_at, due_at, sla_ledger, clock_version, fully_online)
       VALUES ${cases.sql}`,
      cases.params,
    );
    await m.query(
      `UPDATE case_dossiers AS d SET case_id = o.case_id
         FROM unnest($1::uuid[], $2::uuid[]) AS o(dossier_id, case_id) WHERE d.dossier_id = o.dossier_id`,
      [opened.map((o) => o.s.dossierId), opened.map((o) => o.caseId)],
    );
    const actor = { kind: 'system' as const, id: 'case-tracking' };
    await appendHistoryMany(
      m,
      opened.map(({ caseId, s, sla }) => ({
        caseId,
        dossierId: s.dossierId,
        kind: 'MOVE' as const,
        from: null,
        to: 'RECEIVED' as const,
        actor,
        reason: null,
        at: now,
        dueAt: sla.dueAt,
        fromAgencyCode: s.agencyCode,
        toAgencyCode: null,
      })),
    );
    // The reception is one event: case.received.v1 (case.status-changed.v2 carries the moves after it).
    await this.messaging.outbox.addMany(
      m,
      opened.map(({ caseId, s, sla, cause }) => ({
        topic: 'case.received.v1' as const,
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
        meta: { dossierId: s.dossierId, correlationId: cause.correlationId, causationId: cause.eventId },
      })),
    );
    // Decided here, done after the flush commits: a rolled-back or redone flush mails nobody and leaves no timer
    // (its case id never existed). The rows let the timer rebuild redo whatever does not run after the commit.
    const keys = await decideNotifications(
      m,
      opened.map(({ caseId, s, sla }) => ({
        caseId,
        recipientPersonalId: s.applicant.personalId,
        dossierId: s.dossierId,
        channel: 'EMAIL' as const,
        kind: 'CASE_RECEIVED' as const,
        subject: `Hồ sơ ${s.receiptCode} đã được tiếp nhận`,
        body: `Hồ sơ ${s.receiptCode} (thủ tục ${s.procedureCode}) đã được ${s.agencyCode} tiếp nhận. Hạn trả kết quả: ${sla.dueAt.toISOString()}.`,
      })),
    );
    const defer = this.effects.afterFlush(ctx);
    const timers = opened.map(({ caseId, sla }) => ({
      caseId,
      clockVersion: sla.clockVersion,
      warnAt: sla.warnAt,
      dueAt: sla.dueAt,
    }));
    defer(() => this.queues.scheduleSlaMany(timers, now));
    defer(() => this.workers.deliverNow(keys));
  }
}
