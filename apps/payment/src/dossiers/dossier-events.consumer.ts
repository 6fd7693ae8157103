import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, type HandlerContext, type EventContext } from '@hoso/messaging';
import type { DossierRow } from '../intents/intent.store';
import { SettleFee } from './settle-fee.handler';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * Gathers what the fee decision needs from two topics. Either event may come first, so each upserts the
 * dossier's row (the upsert locks it) and the second one to arrive takes the decision.
 */
@Controller()
export class DossierEventsConsumer {
  constructor(private readonly settle: SettleFee) {}

  @EventPattern('dossier.submitted.v1')
  async onSubmitted(@Payload() event: Ev<'dossier.submitted.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    const p = event.payload;
    const [row] = await ctx.manager.query<DossierRow[]>(
      `INSERT INTO payment_dossiers (dossier_id, applicant_personal_id, agency_code, procedure_code, province_code,
         channel, service_level, fee_vnd, submitted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (dossier_id) DO UPDATE SET
         applicant_personal_id = EXCLUDED.applicant_personal_id, agency_code = EXCLUDED.agency_code,
         procedure_code = EXCLUDED.procedure_code, province_code = EXCLUDED.province_code,
         channel = EXCLUDED.channel, service_level = EXCLUDED.service_level, fee_vnd = EXCLUDED.fee_vnd,
         submitted_at = EXCLUDED.submitted_at, updated_at = now()
       WHERE payment_dossiers.submitted_at IS NULL
       RETURNING *`,
      [
        p.dossierId,
        p.applicant.personalId,
        p.agencyCode,
        p.procedureCode,
        p.provinceCode,
        p.channel,
        p.serviceLevel,
        p.feeVnd,
        p.submittedAt,
      ],
    );
    // No row: the dossier was already submitted (a replay under another event id) — nothing new to decide.
    if (row) await this.settleIfReady(ctx, row, event);
  }

  @EventPattern('identity.verified.v1')
  async onVerified(@Payload() event: Ev<'identity.verified.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    const row = await this.recordIdentity(ctx, event.payload.dossierId, 'VERIFIED');
    if (row) await this.settleIfReady(ctx, row, event);
  }

  /** The fee decision once both halves are in, caused by `event`; its jobs are added after the flush commits. */
  private settleIfReady(
    ctx: HandlerContext,
    row: DossierRow,
    event: { correlationId: string; eventId: string },
  ): Promise<unknown> {
    return this.settle.settleIfReady(
      ctx.manager,
      row,
      { correlationId: event.correlationId, causationId: event.eventId },
      (effect) => {
        ctx.afterCommit(effect);
      },
    );
  }

  /** A rejected identity ends the dossier: no payment is ever requested. */
  @EventPattern('identity.rejected.v1')
  async onRejected(@Payload() event: Ev<'identity.rejected.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.recordIdentity(ctx, event.payload.dossierId, 'REJECTED');
    await ctx.manager.query(
      `UPDATE payment_dossiers SET state = 'IDENTITY_REJECTED', updated_at = now()
       WHERE dossier_id = $1 AND state = 'COLLECTING'`,
      [event.payload.dossierId],
    );
  }

  /** The first identity outcome wins; a contradicting later one is ignored (identity decides once). */
  private async recordIdentity(
    ctx: HandlerContext,
    dossierId: string,
    status: 'VERIFIED' | 'REJECTED',
  ): Promise<DossierRow | undefined> {
    const rows = await ctx.manager.query<DossierRow[]>(
      `INSERT INTO payment_dossiers (dossier_id, identity_status) VALUES ($1, $2)
       ON CONFLICT (dossier_id) DO UPDATE SET identity_status = $2, updated_at = now()
       WHERE payment_dossiers.identity_status IS NULL
       RETURNING *`,
      [dossierId, status],
    );
    return rows[0];
  }
}
