import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, type EventContext } from '@hoso/messaging';
import { projectEvents } from './project-event';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * The metrics projection: every topic except our own snapshots, each topic's events of a flush at once (multi-row
 * statements). The inbox (same transaction) drops redelivered events; the projector itself is order-independent,
 * so a replay converges to the same facts.
 */
@Controller()
export class ProjectionConsumer {
  @EventPattern('dossier.submitted.v1', { batch: true })
  onSubmitted(@Payload() e: readonly Ev<'dossier.submitted.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('dossier.submitted.v1', e, ctx.manager);
  }

  @EventPattern('dossier.withdrawn.v1', { batch: true })
  onWithdrawn(@Payload() e: readonly Ev<'dossier.withdrawn.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('dossier.withdrawn.v1', e, ctx.manager);
  }

  @EventPattern('identity.verified.v1', { batch: true })
  onVerified(@Payload() e: readonly Ev<'identity.verified.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('identity.verified.v1', e, ctx.manager);
  }

  @EventPattern('identity.rejected.v1', { batch: true })
  onRejected(@Payload() e: readonly Ev<'identity.rejected.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('identity.rejected.v1', e, ctx.manager);
  }

  @EventPattern('payment.requested.v1', { batch: true })
  onPaymentRequested(@Payload() e: readonly Ev<'payment.requested.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('payment.requested.v1', e, ctx.manager);
  }

  @EventPattern('payment.waived.v1', { batch: true })
  onWaived(@Payload() e: readonly Ev<'payment.waived.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('payment.waived.v1', e, ctx.manager);
  }

  @EventPattern('payment.completed.v1', { batch: true })
  onPaid(@Payload() e: readonly Ev<'payment.completed.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('payment.completed.v1', e, ctx.manager);
  }

  @EventPattern('payment.failed.v1', { batch: true })
  onPaymentFailed(@Payload() e: readonly Ev<'payment.failed.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('payment.failed.v1', e, ctx.manager);
  }

  @EventPattern('payment.refunded.v1', { batch: true })
  onRefunded(@Payload() e: readonly Ev<'payment.refunded.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('payment.refunded.v1', e, ctx.manager);
  }

  @EventPattern('case.received.v1', { batch: true })
  onReceived(@Payload() e: readonly Ev<'case.received.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('case.received.v1', e, ctx.manager);
  }

  /** Deprecated topic, no longer produced: read for the events already in the log (and by the replay). */
  @EventPattern('case.status-changed.v1', { batch: true })
  onStatusChangedV1(@Payload() e: readonly Ev<'case.status-changed.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('case.status-changed.v1', e, ctx.manager);
  }

  @EventPattern('case.status-changed.v2', { batch: true })
  onStatusChanged(@Payload() e: readonly Ev<'case.status-changed.v2'>[], @Ctx() ctx: EventContext) {
    return projectEvents('case.status-changed.v2', e, ctx.manager);
  }

  @EventPattern('case.completed.v1', { batch: true })
  onCompleted(@Payload() e: readonly Ev<'case.completed.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('case.completed.v1', e, ctx.manager);
  }

  @EventPattern('case.rated.v1', { batch: true })
  onRated(@Payload() e: readonly Ev<'case.rated.v1'>[], @Ctx() ctx: EventContext) {
    return projectEvents('case.rated.v1', e, ctx.manager);
  }
}
