import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EventOf, Catalog } from '@hoso/contracts';
import { HandlesEvent, type HandlerContext } from '@hoso/messaging';
import { APP_LOGGER } from '../../logger.token';
import { statusEffectOf, type StatusTopic } from '../domain/status-events';
import { decideStatusMove } from '../domain/status';
import { DossierRepository } from '../dossier.repository';

/**
 * Keeps each dossier's current status and history from the other services' events. Every event is written to
 * the history; `decideStatusMove` says whether it also moves the current status (events of different topics
 * arrive in any order). Runs in the consumer's batch transaction, with its inbox row: applied once.
 */
@Injectable()
export class StatusProjectionConsumer {
  constructor(
    private readonly dossiers: DossierRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @HandlesEvent('identity.verified.v1')
  onIdentityVerified(e: EventOf<Catalog, 'identity.verified.v1'>, ctx: HandlerContext) {
    return this.apply('identity.verified.v1', e, ctx);
  }

  @HandlesEvent('identity.rejected.v1')
  onIdentityRejected(e: EventOf<Catalog, 'identity.rejected.v1'>, ctx: HandlerContext) {
    return this.apply('identity.rejected.v1', e, ctx);
  }

  @HandlesEvent('payment.requested.v1')
  onPaymentRequested(e: EventOf<Catalog, 'payment.requested.v1'>, ctx: HandlerContext) {
    return this.apply('payment.requested.v1', e, ctx);
  }

  @HandlesEvent('payment.waived.v1')
  onPaymentWaived(e: EventOf<Catalog, 'payment.waived.v1'>, ctx: HandlerContext) {
    return this.apply('payment.waived.v1', e, ctx);
  }

  @HandlesEvent('payment.completed.v1')
  onPaymentCompleted(e: EventOf<Catalog, 'payment.completed.v1'>, ctx: HandlerContext) {
    return this.apply('payment.completed.v1', e, ctx);
  }

  @HandlesEvent('payment.failed.v1')
  onPaymentFailed(e: EventOf<Catalog, 'payment.failed.v1'>, ctx: HandlerContext) {
    return this.apply('payment.failed.v1', e, ctx);
  }

  @HandlesEvent('payment.refunded.v1')
  onPaymentRefunded(e: EventOf<Catalog, 'payment.refunded.v1'>, ctx: HandlerContext) {
    return this.apply('payment.refunded.v1', e, ctx);
  }

  @HandlesEvent('case.received.v1')
  onCaseReceived(e: EventOf<Catalog, 'case.received.v1'>, ctx: HandlerContext) {
    return this.apply('case.received.v1', e, ctx);
  }

  @HandlesEvent('case.status-changed.v1')
  onCaseStatusChanged(e: EventOf<Catalog, 'case.status-changed.v1'>, ctx: HandlerContext) {
    return this.apply('case.status-changed.v1', e, ctx);
  }

  @HandlesEvent('case.completed.v1')
  onCaseCompleted(e: EventOf<Catalog, 'case.completed.v1'>, ctx: HandlerContext) {
    return this.apply('case.completed.v1', e, ctx);
  }

  private async apply<T extends StatusTopic>(topic: T, e: EventOf<Catalog, T>, ctx: HandlerContext): Promise<void> {
    const dossierId = (e.payload as { dossierId: string }).dossierId;
    const d = await this.dossiers.byId(dossierId, ctx.manager, true);
    if (!d) {
      // Not one of ours (another environment, or a test event): nothing to project, never a reason to block.
      this.logger.warn({ topic, eventId: e.eventId, dossierId }, 'status event for an unknown dossier ignored');
      return;
    }
    const effect = statusEffectOf(topic, e.payload);
    const at = new Date(e.occurredAt);
    const decision = effect.status
      ? decideStatusMove({ status: d.status, at: d.status_at }, effect.status, at)
      : { move: false as const, reason: 'recorded only' };
    await this.dossiers.addHistory(ctx.manager, {
      dossierId,
      status: effect.status,
      applied: decision.move,
      source: topic,
      eventId: e.eventId,
      reason: decision.move
        ? effect.reason
        : [effect.reason, `not applied: ${decision.reason}`].filter(Boolean).join('; '),
      occurredAt: at,
    });
    if (decision.move && effect.status) {
      await this.dossiers.setStatus(ctx.manager, dossierId, effect.status, at, effect.handlingAgencyCode);
    } else if (effect.handlingAgencyCode) {
      await ctx.manager.query(`UPDATE dossiers SET handling_agency_code = $2, updated_at = now() WHERE id = $1`, [
        dossierId,
        effect.handlingAgencyCode,
      ]);
    }
  }
}
