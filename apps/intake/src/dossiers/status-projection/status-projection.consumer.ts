import { Inject, Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { EventOf, Catalog } from '@hoso/contracts';
import { EventPattern, type HandlerContext, type EventContext } from '@hoso/messaging';
import { APP_LOGGER } from '../../logger.token';
import { statusEffectOf, type StatusTopic } from '../domain/status-events';
import { decideStatusMove } from '../domain/status';
import { DossierRepository } from '../dossier.repository';

/**
 * Keeps each dossier's current status and history from the other services' events. Every event is written to
 * the history; `decideStatusMove` says whether it also moves the current status (events of different topics
 * arrive in any order). Runs in the consumer's batch transaction, with its inbox row: applied once.
 */
@Controller()
export class StatusProjectionConsumer {
  constructor(
    private readonly dossiers: DossierRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern('identity.verified.v1')
  onIdentityVerified(@Payload() e: EventOf<Catalog, 'identity.verified.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('identity.verified.v1', e, ctx);
  }

  @EventPattern('identity.rejected.v1')
  onIdentityRejected(@Payload() e: EventOf<Catalog, 'identity.rejected.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('identity.rejected.v1', e, ctx);
  }

  @EventPattern('payment.requested.v1')
  onPaymentRequested(@Payload() e: EventOf<Catalog, 'payment.requested.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('payment.requested.v1', e, ctx);
  }

  @EventPattern('payment.waived.v1')
  onPaymentWaived(@Payload() e: EventOf<Catalog, 'payment.waived.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('payment.waived.v1', e, ctx);
  }

  @EventPattern('payment.completed.v1')
  onPaymentCompleted(@Payload() e: EventOf<Catalog, 'payment.completed.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('payment.completed.v1', e, ctx);
  }

  @EventPattern('payment.failed.v1')
  onPaymentFailed(@Payload() e: EventOf<Catalog, 'payment.failed.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('payment.failed.v1', e, ctx);
  }

  @EventPattern('payment.refunded.v1')
  onPaymentRefunded(@Payload() e: EventOf<Catalog, 'payment.refunded.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('payment.refunded.v1', e, ctx);
  }

  @EventPattern('case.received.v1')
  onCaseReceived(@Payload() e: EventOf<Catalog, 'case.received.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('case.received.v1', e, ctx);
  }

  /** Deprecated topic, no longer produced: read for the events already in the log. */
  @EventPattern('case.status-changed.v1')
  onCaseStatusChangedV1(@Payload() e: EventOf<Catalog, 'case.status-changed.v1'>, @Ctx() ctx: EventContext) {
    return this.apply('case.status-changed.v1', e, ctx);
  }

  @EventPattern('case.status-changed.v2')
  onCaseStatusChanged(@Payload() e: EventOf<Catalog, 'case.status-changed.v2'>, @Ctx() ctx: EventContext) {
    return this.apply('case.status-changed.v2', e, ctx);
  }

  @EventPattern('case.completed.v1')
  onCaseCompleted(@Payload() e: EventOf<Catalog, 'case.completed.v1'>, @Ctx() ctx: EventContext) {
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
