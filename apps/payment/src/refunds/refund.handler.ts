import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { MessagingService } from '@hoso/messaging';
import { GatewayClient } from '../gateway/gateway.client';
import { lockDossier, setDossierState } from '../intents/intent.store';
import { CLOCK, type Clock } from '../tokens';

/**
 * Refunds a dossier's payment through the gateway and emits payment.refunded.v1, at most once per payment:
 * the refund row's primary key is the payment id, and the gateway's refund is idempotent per payment, so a
 * retried handler (gateway answered, commit failed) asks again and gets the same refund back. A fee paid in cash
 * at the counter is recorded as owed back in cash at that counter (method CASH_AT_COUNTER, no gateway refund), and
 * the event's reason tells the citizen where to collect it.
 */
@Injectable()
export class RefundPayment {
  constructor(
    private readonly messaging: MessagingService,
    private readonly gateway: GatewayClient,
    private readonly log: PinoLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.log.setContext('RefundPayment');
  }

  async refundIfPaid(
    m: EntityManager,
    dossierId: string,
    reason: string,
    cause: { eventId: string; correlationId: string },
  ): Promise<'refunded' | 'already' | 'not-paid'> {
    const dossier = await lockDossier(m, dossierId);
    if (!dossier) return 'not-paid';
    const [paid] = await m.query<
      {
        payment_id: string;
        amount_vnd: string;
        method: string | null;
        cash_receipt_no: string | null;
        cash_agency_code: string | null;
        refunded: string | null;
      }[]
    >(
      `SELECT i.payment_id, i.amount_vnd, i.method, i.cash_receipt_no, i.cash_agency_code, r.payment_id AS refunded
       FROM payment_intents i LEFT JOIN payment_refunds r ON r.payment_id = i.payment_id
       WHERE i.dossier_id = $1 AND i.status = 'SUCCEEDED'`,
      [dossierId],
    );
    if (!paid) return 'not-paid';
    if (paid.refunded) return 'already';
    const amountVnd = Number(paid.amount_vnd);
    // Cash never reached the gateway, which has nothing to refund: the agency owes it back at its counter.
    const cash = paid.method === 'CASH';
    const refundId = cash
      ? null
      : (await this.gateway.refund({ paymentId: paid.payment_id, amountVnd, reason })).refundId;
    const now = this.clock.now();
    await m.query(
      `INSERT INTO payment_refunds
         (payment_id, dossier_id, amount_vnd, reason, method, gateway_refund_id, cause_event_id, refunded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        paid.payment_id,
        dossierId,
        amountVnd,
        reason,
        cash ? 'CASH_AT_COUNTER' : 'GATEWAY',
        refundId,
        cause.eventId,
        now,
      ],
    );
    const counter = paid.cash_agency_code ?? 'the agency';
    const told = cash
      ? `${reason}; paid in cash (receipt ${paid.cash_receipt_no ?? '?'}), to be paid back in cash at the counter of ${counter}`
      : reason;
    await this.messaging.outbox.add(
      m,
      'payment.refunded.v1',
      { dossierId, paymentId: paid.payment_id, amountVnd, reason: told, refundedAt: now.toISOString() },
      { dossierId, correlationId: cause.correlationId, causationId: cause.eventId },
    );
    this.log.info({ dossierId, paymentId: paid.payment_id, refundId, cash }, 'payment refunded');
    return 'refunded';
  }

  /** A withdrawal also stops any payment still pending, so a late checkout cannot pay a withdrawn dossier. */
  async withdraw(m: EntityManager, dossierId: string): Promise<void> {
    const dossier = await lockDossier(m, dossierId);
    if (!dossier) return;
    await m.query(`UPDATE payment_intents SET status = 'CANCELLED' WHERE dossier_id = $1 AND status = 'PENDING'`, [
      dossierId,
    ]);
    if (dossier.state === 'COLLECTING' || dossier.state === 'AWAITING_PAYMENT') {
      await setDossierState(m, dossierId, 'WITHDRAWN');
    }
  }
}
