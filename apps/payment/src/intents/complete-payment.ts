import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import type { paymentMethods } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import { CLOCK, type Clock } from '../tokens';
import type { EventCause } from './open-intent';
import { setDossierState } from './intent.store';

/** How the money arrived: through the gateway (a verified callback or its ledger), or in cash at the counter. */
export type Settlement =
  | {
      via: 'CALLBACK' | 'RECONCILIATION';
      method: (typeof paymentMethods)[number];
      gatewayReference: string;
      sessionId: string;
    }
  | { via: 'COUNTER'; receiptNo: string; recordedBy: string; agencyCode: string };

/** The reference payment.completed.v1 carries for cash: the counter's receipt (there is no gateway reference). */
export const cashReference = (receiptNo: string) => `CASH-${receiptNo}`;

/**
 * The one place a payment completes, for the gateway's results and cash at the counter alike: the intent is paid,
 * the dossier PAID, payment.completed.v1 in the outbox — all in the caller's transaction, under the dossier's lock
 * the caller holds, after the caller decided the intent may complete.
 */
@Injectable()
export class CompletePayment {
  constructor(
    private readonly messaging: MessagingService,
    private readonly log: PinoLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.log.setContext('CompletePayment');
  }

  async complete(
    m: EntityManager,
    p: { dossierId: string; paymentId: string; amountVnd: number; occurredAt: string; settlement: Settlement },
    cause: EventCause,
  ): Promise<void> {
    const s = p.settlement;
    const gateway = s.via !== 'COUNTER';
    // A newer retry may still be pending: the money arrived on this one, so that one is withdrawn.
    await m.query(
      `UPDATE payment_intents SET status = 'CANCELLED' WHERE dossier_id = $1 AND status = 'PENDING' AND payment_id <> $2`,
      [p.dossierId, p.paymentId],
    );
    await m.query(
      `UPDATE payment_intents SET status = 'SUCCEEDED', gateway_reference = $2, method = $3, settled_at = $4,
         settled_via = $5, failure_reason = NULL, session_id = COALESCE(session_id, $6),
         cash_receipt_no = $7, cash_recorded_by = $8, cash_agency_code = $9
       WHERE payment_id = $1`,
      [
        p.paymentId,
        gateway ? s.gatewayReference : null,
        gateway ? s.method : 'CASH',
        p.occurredAt,
        s.via,
        gateway ? s.sessionId : null,
        gateway ? null : s.receiptNo,
        gateway ? null : s.recordedBy,
        gateway ? null : s.agencyCode,
      ],
    );
    await setDossierState(m, p.dossierId, 'PAID');
    await this.messaging.outbox.add(
      m,
      'payment.completed.v1',
      {
        dossierId: p.dossierId,
        paymentId: p.paymentId,
        amountVnd: p.amountVnd,
        // The contract's method for money taken at the counter; `online` is what the online-payment rate counts.
        method: gateway ? s.method : 'COUNTER',
        online: gateway,
        gatewayReference: gateway ? s.gatewayReference : cashReference(s.receiptNo),
        completedAt: new Date(Date.parse(p.occurredAt) || this.clock.now().getTime()).toISOString(),
      },
      { dossierId: p.dossierId, correlationId: cause.correlationId, causationId: cause.causationId },
    );
    this.log.info({ paymentId: p.paymentId, via: s.via }, 'payment completed');
  }
}
