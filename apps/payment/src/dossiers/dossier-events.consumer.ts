import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, type HandlerContext, type EventContext } from '@hoso/messaging';
import { valuesList } from '@hoso/persistence';
import type { DossierRow } from '../intents/intent.store';
import { SettleFee } from './settle-fee.handler';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/** The first event of each dossier in a topic's events of one flush (a dossier's later copies decide nothing new). */
function firstPerDossier<E extends { payload: { dossierId: string } }>(events: readonly E[]): Map<string, E> {
  const first = new Map<string, E>();
  for (const e of events) if (!first.has(e.payload.dossierId)) first.set(e.payload.dossierId, e);
  return first;
}

/** Dossier ids in one order, so two flushes that touch the same rows lock them in the same order. */
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Gathers what the fee decision needs from two topics. Either event may come first, so each upserts the
 * dossier's row (the upsert locks it) and the second one to arrive takes the decision. A topic's events of one
 * flush are upserted in one statement and decided together (SettleFee.settleManyIfReady).
 */
@Controller()
export class DossierEventsConsumer {
  constructor(private readonly settle: SettleFee) {}

  @EventPattern('dossier.submitted.v1', { batch: true })
  async onSubmitted(@Payload() events: readonly Ev<'dossier.submitted.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    const first = firstPerDossier(events);
    const { sql, params } = valuesList(
      [...first.keys()].sort(byId).map((id) => {
        const p = (first.get(id) as Ev<'dossier.submitted.v1'>).payload;
        return [
          p.dossierId,
          p.applicant.personalId,
          p.agencyCode,
          p.procedureCode,
          p.provinceCode,
          p.channel,
          p.serviceLevel,
          p.feeVnd,
          p.submittedAt,
        ];
      }),
    );
    // No row back for a dossier already submitted (a replay under another event id): nothing new to decide.
    const rows = await ctx.manager.query<DossierRow[]>(
      `INSERT INTO payment_dossiers (dossier_id, applicant_personal_id, agency_code, procedure_code, province_code,
         channel, service_level, fee_vnd, submitted_at)
       VALUES ${sql}
       ON CONFLICT (dossier_id) DO UPDATE SET
         applicant_personal_id = EXCLUDED.applicant_personal_id, agency_code = EXCLUDED.agency_code,
         procedure_code = EXCLUDED.procedure_code, province_code = EXCLUDED.province_code,
         channel = EXCLUDED.channel, service_level = EXCLUDED.service_level, fee_vnd = EXCLUDED.fee_vnd,
         submitted_at = EXCLUDED.submitted_at, updated_at = now()
       WHERE payment_dossiers.submitted_at IS NULL
       RETURNING *`,
      params,
    );
    await this.settleReady(ctx, rows, first);
  }

  @EventPattern('identity.verified.v1', { batch: true })
  async onVerified(@Payload() events: readonly Ev<'identity.verified.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    const first = firstPerDossier(events);
    const rows = await this.recordIdentity(ctx, [...first.keys()], 'VERIFIED');
    await this.settleReady(ctx, rows, first);
  }

  /** The fee decisions of the rows now complete, each caused by its dossier's event; jobs run after the commit. */
  private settleReady(
    ctx: HandlerContext,
    rows: readonly DossierRow[],
    causes: ReadonlyMap<string, { correlationId: string; eventId: string }>,
  ): Promise<unknown> {
    return this.settle.settleManyIfReady(
      ctx.manager,
      rows,
      (dossierId) => {
        const e = causes.get(dossierId);
        if (!e) throw new Error(`no event of dossier ${dossierId} in this set`);
        return { correlationId: e.correlationId, causationId: e.eventId };
      },
      (effect) => {
        ctx.afterCommit(effect);
      },
    );
  }

  /** A rejected identity ends the dossier: no payment is ever requested. */
  @EventPattern('identity.rejected.v1')
  async onRejected(@Payload() event: Ev<'identity.rejected.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.recordIdentity(ctx, [event.payload.dossierId], 'REJECTED');
    await ctx.manager.query(
      `UPDATE payment_dossiers SET state = 'IDENTITY_REJECTED', updated_at = now()
       WHERE dossier_id = $1 AND state = 'COLLECTING'`,
      [event.payload.dossierId],
    );
  }

  /**
   * The first identity outcome wins; a contradicting later one is ignored (identity decides once): the rows whose
   * outcome this recorded come back.
   */
  private async recordIdentity(
    ctx: HandlerContext,
    dossierIds: readonly string[],
    status: 'VERIFIED' | 'REJECTED',
  ): Promise<DossierRow[]> {
    return ctx.manager.query<DossierRow[]>(
      `INSERT INTO payment_dossiers (dossier_id, identity_status) SELECT d, $2::text FROM unnest($1::uuid[]) AS d
       ON CONFLICT (dossier_id) DO UPDATE SET identity_status = EXCLUDED.identity_status, updated_at = now()
       WHERE payment_dossiers.identity_status IS NULL
       RETURNING *`,
      [[...dossierIds].sort(byId), status],
    );
  }
}
