import { Injectable } from '@nestjs/common';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { HandlesEvent, type HandlerContext } from '@hoso/messaging';
import { RefundPayment } from './refund.handler';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * A paid dossier that ends without the service (rejected, withdrawn) is refunded. Both case events may
 * announce the same rejection; the refund is keyed by payment, so the second finds it done.
 */
@Injectable()
export class RefundTriggersConsumer {
  constructor(private readonly refunds: RefundPayment) {}

  @HandlesEvent('case.completed.v1')
  async onCaseCompleted(event: Ev<'case.completed.v1'>, ctx: HandlerContext): Promise<void> {
    if (event.payload.outcome !== 'REJECTED') return;
    await this.refunds.refundIfPaid(ctx.manager, event.payload.dossierId, 'case rejected', event);
  }

  @HandlesEvent('case.status-changed.v1')
  async onCaseStatusChanged(event: Ev<'case.status-changed.v1'>, ctx: HandlerContext): Promise<void> {
    if (event.payload.to !== 'REJECTED') return;
    await this.refunds.refundIfPaid(ctx.manager, event.payload.dossierId, 'case rejected', event);
  }

  @HandlesEvent('dossier.withdrawn.v1')
  async onWithdrawn(event: Ev<'dossier.withdrawn.v1'>, ctx: HandlerContext): Promise<void> {
    await this.refunds.refundIfPaid(ctx.manager, event.payload.dossierId, 'dossier withdrawn', event);
    await this.refunds.withdraw(ctx.manager, event.payload.dossierId);
  }
}
