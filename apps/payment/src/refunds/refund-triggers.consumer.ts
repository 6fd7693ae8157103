import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Catalog, EventOf, Topic } from '@hoso/contracts';
import { EventPattern, type EventContext } from '@hoso/messaging';
import { RefundPayment } from './refund.handler';

type Ev<T extends Topic> = EventOf<Catalog, T>;

/**
 * A paid dossier that ends without the service (rejected, withdrawn) is refunded: when a rejected case completes
 * (its result delivered), or when the dossier is withdrawn. Payment does not follow the case's intermediate moves.
 * The refund is keyed by payment, so a second announcement finds it decided; the gateway is asked only once the
 * decision committed (RefundPayment).
 */
@Controller()
export class RefundTriggersConsumer {
  constructor(private readonly refunds: RefundPayment) {}

  // Only rejections matter here: every other completion costs no inbox row and no statement.
  @EventPattern('case.completed.v1', { when: (e) => e.payload.outcome === 'REJECTED' })
  async onCaseCompleted(@Payload() event: Ev<'case.completed.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.refunds.refundIfPaid(ctx.manager, event.payload.dossierId, 'case rejected', event, (effect) => {
      ctx.afterCommit(effect);
    });
  }

  @EventPattern('dossier.withdrawn.v1')
  async onWithdrawn(@Payload() event: Ev<'dossier.withdrawn.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    await this.refunds.refundIfPaid(ctx.manager, event.payload.dossierId, 'dossier withdrawn', event, (effect) => {
      ctx.afterCommit(effect);
    });
    await this.refunds.withdraw(ctx.manager, event.payload.dossierId);
  }
}
