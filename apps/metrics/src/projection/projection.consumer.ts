import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, type EventContext } from '@hoso/messaging';
import { projectEvent } from './project-event';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * The metrics projection: every topic except our own snapshots. The inbox (same transaction) drops redelivered
 * events; the projector itself is order-independent, so a replay converges to the same facts.
 */
@Controller()
export class ProjectionConsumer {
  @EventPattern('dossier.submitted.v1')
  onSubmitted(@Payload() e: Ev<'dossier.submitted.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('dossier.submitted.v1', e, ctx.manager);
  }

  @EventPattern('dossier.withdrawn.v1')
  onWithdrawn(@Payload() e: Ev<'dossier.withdrawn.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('dossier.withdrawn.v1', e, ctx.manager);
  }

  @EventPattern('identity.verified.v1')
  onVerified(@Payload() e: Ev<'identity.verified.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('identity.verified.v1', e, ctx.manager);
  }

  @EventPattern('identity.rejected.v1')
  onRejected(@Payload() e: Ev<'identity.rejected.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('identity.rejected.v1', e, ctx.manager);
  }

  @EventPattern('payment.requested.v1')
  onPaymentRequested(@Payload() e: Ev<'payment.requested.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('payment.requested.v1', e, ctx.manager);
  }

  @EventPattern('payment.waived.v1')
  onWaived(@Payload() e: Ev<'payment.waived.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('payment.waived.v1', e, ctx.manager);
  }

  @EventPattern('payment.completed.v1')
  onPaid(@Payload() e: Ev<'payment.completed.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('payment.completed.v1', e, ctx.manager);
  }

  @EventPattern('payment.failed.v1')
  onPaymentFailed(@Payload() e: Ev<'payment.failed.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('payment.failed.v1', e, ctx.manager);
  }

  @EventPattern('payment.refunded.v1')
  onRefunded(@Payload() e: Ev<'payment.refunded.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('payment.refunded.v1', e, ctx.manager);
  }

  @EventPattern('case.received.v1')
  onReceived(@Payload() e: Ev<'case.received.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('case.received.v1', e, ctx.manager);
  }

  @EventPattern('case.status-changed.v1')
  onStatusChanged(@Payload() e: Ev<'case.status-changed.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('case.status-changed.v1', e, ctx.manager);
  }

  @EventPattern('case.completed.v1')
  onCompleted(@Payload() e: Ev<'case.completed.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('case.completed.v1', e, ctx.manager);
  }

  @EventPattern('case.rated.v1')
  onRated(@Payload() e: Ev<'case.rated.v1'>, @Ctx() ctx: EventContext) {
    return projectEvent('case.rated.v1', e, ctx.manager);
  }
}
