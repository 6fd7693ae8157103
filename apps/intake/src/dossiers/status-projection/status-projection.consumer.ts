import { Inject, Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { EventOf, Catalog } from '@hoso/contracts';
import { EventPattern, type HandlerContext, type EventContext } from '@hoso/messaging';
import { APP_LOGGER } from '../../logger.token';
import { statusEffectOf, type StatusTopic } from '../domain/status-events';
import { decideStatusMove, type DossierStatus } from '../domain/status';
import { DossierRepository, type NewHistoryEntry } from '../dossier.repository';

/**
 * Keeps each dossier's current status and history from the other services' events. Every event is written to
 * the history; `decideStatusMove` says whether it also moves the current status (events of different topics
 * arrive in any order). Runs in the consumer's flush transaction, with the events' inbox rows: applied once.
 */
@Controller()
export class StatusProjectionConsumer {
  constructor(
    private readonly dossiers: DossierRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern('identity.verified.v1', { batch: true })
  onIdentityVerified(@Payload() e: readonly EventOf<Catalog, 'identity.verified.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('identity.verified.v1', e, ctx);
  }

  @EventPattern('identity.rejected.v1', { batch: true })
  onIdentityRejected(@Payload() e: readonly EventOf<Catalog, 'identity.rejected.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('identity.rejected.v1', e, ctx);
  }

  @EventPattern('payment.requested.v1', { batch: true })
  onPaymentRequested(@Payload() e: readonly EventOf<Catalog, 'payment.requested.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('payment.requested.v1', e, ctx);
  }

  @EventPattern('payment.waived.v1', { batch: true })
  onPaymentWaived(@Payload() e: readonly EventOf<Catalog, 'payment.waived.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('payment.waived.v1', e, ctx);
  }

  @EventPattern('payment.completed.v1', { batch: true })
  onPaymentCompleted(@Payload() e: readonly EventOf<Catalog, 'payment.completed.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('payment.completed.v1', e, ctx);
  }

  @EventPattern('payment.failed.v1', { batch: true })
  onPaymentFailed(@Payload() e: readonly EventOf<Catalog, 'payment.failed.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('payment.failed.v1', e, ctx);
  }

  @EventPattern('payment.refunded.v1', { batch: true })
  onPaymentRefunded(@Payload() e: readonly EventOf<Catalog, 'payment.refunded.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('payment.refunded.v1', e, ctx);
  }

  @EventPattern('case.received.v1', { batch: true })
  onCaseReceived(@Payload() e: readonly EventOf<Catalog, 'case.received.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('case.received.v1', e, ctx);
  }

  /** Deprecated topic, no longer produced: read for the events already in the log. */
  @EventPattern('case.status-changed.v1', { batch: true })
  onCaseStatusChangedV1(@Payload() e: readonly EventOf<Catalog, 'case.status-changed.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('case.status-changed.v1', e, ctx);
  }

  @EventPattern('case.status-changed.v2', { batch: true })
  onCaseStatusChanged(@Payload() e: readonly EventOf<Catalog, 'case.status-changed.v2'>[], @Ctx() ctx: EventContext) {
    return this.apply('case.status-changed.v2', e, ctx);
  }

  @EventPattern('case.completed.v1', { batch: true })
  onCaseCompleted(@Payload() e: readonly EventOf<Catalog, 'case.completed.v1'>[], @Ctx() ctx: EventContext) {
    return this.apply('case.completed.v1', e, ctx);
  }

  /**
   * A topic's events of one flush at once: the dossiers' rows locked in one statement (id order), each event
   * decided in memory against the status the previous ones left (a dossier's events in partition order), then one
   * multi-row INSERT of the history and one multi-row UPDATE of the statuses that moved.
   */
  private async apply<T extends StatusTopic>(
    topic: T,
    events: readonly EventOf<Catalog, T>[],
    ctx: HandlerContext,
  ): Promise<void> {
    const dossierIdOf = (e: EventOf<Catalog, T>) => (e.payload as { dossierId: string }).dossierId;
    const current = await this.dossiers.lockStatuses(ctx.manager, [...new Set(events.map(dossierIdOf))]);
    const history: NewHistoryEntry[] = [];
    const moved = new Map<
      string,
      { id: string; status: DossierStatus | null; at: Date; handlingAgencyCode: string | null }
    >();
    for (const e of events) {
      const dossierId = dossierIdOf(e);
      const d = current.get(dossierId);
      if (!d) {
        // Not one of ours (another environment, or a test event): nothing to project, never a reason to block.
        this.logger.warn({ topic, eventId: e.eventId, dossierId }, 'status event for an unknown dossier ignored');
        continue;
      }
      const effect = statusEffectOf(topic, e.payload);
      const at = new Date(e.occurredAt);
      const decision = effect.status
        ? decideStatusMove(d, effect.status, at)
        : { move: false as const, reason: 'recorded only' };
      history.push({
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
      const prior = moved.get(dossierId);
      const handlingAgencyCode = effect.handlingAgencyCode ?? prior?.handlingAgencyCode ?? null;
      if (decision.move && effect.status) {
        current.set(dossierId, { status: effect.status, at });
        moved.set(dossierId, { id: dossierId, status: effect.status, at, handlingAgencyCode });
      } else if (effect.handlingAgencyCode) {
        moved.set(dossierId, { id: dossierId, status: prior?.status ?? null, at: prior?.at ?? at, handlingAgencyCode });
      }
    }
    await this.dossiers.addHistoryMany(ctx.manager, history);
    await this.dossiers.setStatuses(ctx.manager, [...moved.values()]);
  }
}
