import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AuthUser } from '@hoso/auth';
import { MessagingService } from '@hoso/messaging';
import { recordAuditApart } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../../clock';
import { APP_LOGGER } from '../../logger.token';
import { canWithdraw } from '../domain/status';
import { DossierRepository } from '../dossier.repository';

export interface WithdrawAnswer {
  id: string;
  receiptCode: string;
  status: 'WITHDRAWN';
}

/** The applicant withdraws before a decision: status, history and `dossier.withdrawn.v1` in one transaction. */
@Injectable()
export class WithdrawDossierHandler {
  constructor(
    private readonly messaging: MessagingService,
    @Inject(DataSource) private readonly ds: DataSource,
    private readonly dossiers: DossierRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async withdraw(id: string, reason: string, user: AuthUser, correlationId: string): Promise<WithdrawAnswer> {
    return this.messaging.transaction(async (m) => {
      // Locked: a status event applied at the same moment waits, and then sees WITHDRAWN (terminal).
      const d = await this.dossiers.byId(id, m, true);
      if (!d) throw new NotFoundException('no such dossier');
      if (d.applicant_personal_id !== user.personalId) {
        // This transaction rolls back with the 404: the refusal is recorded in a short transaction of its own.
        await recordAuditApart(this.ds, this.logger, {
          action: 'dossier.withdraw',
          outcome: 'denied',
          actor: { sub: user.sub, role: user.role },
          resource: `dossier:${id}`,
          reason: 'not the applicant',
          correlationId,
        });
        throw new NotFoundException('no such dossier');
      }
      if (!canWithdraw(d.status)) {
        throw new ConflictException(`a dossier in status ${d.status} can no longer be withdrawn`);
      }
      const now = this.clock.now();
      // The status time never goes backwards, even if an event was stamped slightly ahead of our clock.
      const at = now.getTime() < d.status_at.getTime() ? d.status_at : now;
      await this.dossiers.setStatus(m, id, 'WITHDRAWN', at);
      await this.dossiers.addHistory(m, {
        dossierId: id,
        status: 'WITHDRAWN',
        applied: true,
        source: 'intake',
        eventId: null,
        reason,
        occurredAt: at,
      });
      await this.messaging.outbox.add(
        m,
        'dossier.withdrawn.v1',
        {
          dossierId: id,
          receiptCode: d.receipt_code,
          agencyCode: d.agency_code,
          reason,
          withdrawnAt: at.toISOString(),
        },
        { dossierId: id, correlationId, occurredAt: at },
      );
      return { id, receiptCode: d.receipt_code, status: 'WITHDRAWN' as const };
    });
  }
}
