import { Inject, Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { EventOf, Catalog } from '@hoso/contracts';
import { EventPattern, MessagingService, type EventContext } from '@hoso/messaging';
import { CLOCK, type Clock } from '../clock';
import { ROOT_LOGGER } from '../core';
import { findCitizen } from '../registry/citizen.repository';
import type { VneidLevel } from '@hoso/population';
import { verifyApplicant } from '@hoso/population';

/**
 * Checks every submitted dossier's applicant against the population registry and answers with
 * `identity.verified.v1` or `identity.rejected.v1`, written to the outbox in the consumer's transaction (the same
 * one as the inbox row), so each submission gets exactly one outcome however often it is delivered.
 */
@Controller()
export class DossierSubmittedConsumer {
  constructor(
    @Inject(MessagingService) private readonly messaging: MessagingService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern('dossier.submitted.v1')
  async onDossierSubmitted(
    @Payload() event: EventOf<Catalog, 'dossier.submitted.v1'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { dossierId, applicant, requiredVneidLevel } = event.payload;
    const record = await findCitizen(ctx.manager, applicant.personalId);
    const result = verifyApplicant(record, applicant, requiredVneidLevel as VneidLevel);
    const at = this.clock.now().toISOString();
    const meta = { dossierId, correlationId: event.correlationId, causationId: event.eventId };
    if (result.ok) {
      await this.messaging.outbox.add(
        ctx.manager,
        'identity.verified.v1',
        { dossierId, personalId: applicant.personalId, vneidLevel: record?.vneidLevel ?? 0, verifiedAt: at },
        meta,
      );
    } else {
      await this.messaging.outbox.add(
        ctx.manager,
        'identity.rejected.v1',
        { dossierId, personalId: applicant.personalId, reason: result.reason, detail: result.detail, rejectedAt: at },
        meta,
      );
    }
    this.logger.info(
      { dossierId, correlationId: event.correlationId, outcome: result.ok ? 'verified' : result.reason },
      'applicant identity checked',
    );
  }
}
