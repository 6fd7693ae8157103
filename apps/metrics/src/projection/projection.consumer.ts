import { Injectable } from '@nestjs/common';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { HandlesEvent, type HandlerContext } from '@hoso/messaging';
import { projectEvent } from './project-event';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * The metrics projection: every topic except our own snapshots. The inbox (same transaction) drops redelivered
 * events; the projector itself is order-independent, so a replay converges to the same facts.
 */
@Injectable()
export class ProjectionConsumer {
  @HandlesEvent('dossier.submitted.v1')
  onSubmitted(e: Ev<'dossier.submitted.v1'>, ctx: HandlerContext) {
    return projectEvent('dossier.submitted.v1', e, ctx.manager);
  }

  @HandlesEvent('dossier.withdrawn.v1')
  onWithdrawn(e: Ev<'dossier.withdrawn.v1'>, ctx: HandlerContext) {
    return projectEvent('dossier.withdrawn.v1', e, ctx.manager);
  }

  @HandlesEvent('identity.verified.v1')
  onVerified(e: Ev<'identity.verified.v1'>, ctx: HandlerContext) {
    return projectEvent('identity.verified.v1', e, ctx.manager);
  }

  @HandlesEvent('identity.rejected.v1')
  onRejected(e: Ev<'identity.rejected.v1'>, ctx: HandlerContext) {
    return projectEvent('identity.rejected.v1', e, ctx.manager);
  }

  @HandlesEvent('payment.requested.v1')
  onPaymentRequested(e: Ev<'payment.requested.v1'>, ctx: HandlerContext) {
    return projectEvent('payment.requested.v1', e, ctx.manager);
  }

  @HandlesEvent('payment.waived.v1')
  onWaived(e: Ev<'payment.waived.v1'>, ctx: HandlerContext) {
    return projectEvent('payment.waived.v1', e, ctx.manager);
  }

  @HandlesEvent('payment.completed.v1')
  onPaid(e: Ev<'payment.completed.v1'>, ctx: HandlerContext) {
    return projectEvent('payment.completed.v1', e, ctx.manager);
  }

  @HandlesEvent('payment.failed.v1')
  onPaymentFailed(e: Ev<'payment.failed.v1'>, ctx: HandlerContext) {
    return projectEvent('payment.failed.v1', e, ctx.manager);
  }

  @HandlesEvent('payment.refunded.v1')
  onRefunded(e: Ev<'payment.refunded.v1'>, ctx: HandlerContext) {
    return projectEvent('payment.refunded.v1', e, ctx.manager);
  }

  @HandlesEvent('case.received.v1')
  onReceived(e: Ev<'case.received.v1'>, ctx: HandlerContext) {
    return projectEvent('case.received.v1', e, ctx.manager);
  }

  @HandlesEvent('case.status-changed.v1')
  onStatusChanged(e: Ev<'case.status-changed.v1'>, ctx: HandlerContext) {
    return projectEvent('case.status-changed.v1', e, ctx.manager);
  }

  @HandlesEvent('case.completed.v1')
  onCompleted(e: Ev<'case.completed.v1'>, ctx: HandlerContext) {
    return projectEvent('case.completed.v1', e, ctx.manager);
  }

  @HandlesEvent('case.rated.v1')
  onRated(e: Ev<'case.rated.v1'>, ctx: HandlerContext) {
    return projectEvent('case.rated.v1', e, ctx.manager);
  }
}
