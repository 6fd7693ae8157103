import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { MessagingService } from '@hoso/messaging';
import { recordAudit, type AuditEntry } from '@hoso/nest-kit';
import { GatewayClient, GatewayRefused } from '../gateway/gateway.client';
import { lockDossier, setDossierState } from '../intents/intent.store';
import { PaymentQueues, refundJobId, type AfterCommit } from '../jobs/payment-queues';
import { CLOCK, ROOT_LOGGER, type Clock } from '../tokens';

/** Refunds are decided by the service on an event (a withdrawal, a rejection), not by a person. */
const SYSTEM_ACTOR: AuditEntry['actor'] = { sub: 'system:payment', role: 'system' };

interface RefundRow {
  payment_id: string;
  dossier_id: string;
  amount_vnd: string;
  reason: string;
  method: 'GATEWAY' | 'CASH_AT_COUNTER';
  status: 'PENDING' | 'REFUNDED' | 'FAILED';
  cause_event_id: string;
  correlation_id: string | null;
}

/**
 * Refunds a dossier's payment and emits payment.refunded.v1, at most once per payment (the refund row's primary key
 * is the payment id). The decision and the money move in two steps: the consumer's transaction records the refund
 * PENDING; once it committed, a BullMQ job (`carryOut`) asks the gateway, with the refund's idempotency key so a
 * retry after a lost answer gets the same refund back, then records the outcome with the event in one transaction.
 * A rolled-back or redone flush so never moves money, and a lost job is re-added from the PENDING rows by the timer
 * rebuild. A fee paid in cash at the counter never reached the gateway: it is recorded at once as owed back in cash
 * at that counter (method CASH_AT_COUNTER), and the event's reason tells the citizen where to collect it.
 */
@Injectable()
export class RefundPayment {
  constructor(
    private readonly ds: DataSource,
    private readonly messaging: MessagingService,
    private readonly gateway: GatewayClient,
    private readonly queues: PaymentQueues,
    private readonly log: PinoLogger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) private readonly rootLogger: Logger,
  ) {
    this.log.setContext('RefundPayment');
  }

  /** Decides the refund in the caller's transaction; the gateway is asked only after it committed. */
  async refundIfPaid(
    m: EntityManager,
    dossierId: string,
    reason: string,
    cause: { eventId: string; correlationId: string },
    afterCommit: AfterCommit,
  ): Promise<'decided' | 'refunded' | 'already' | 'not-paid'> {
    const dossier = await lockDossier(m, dossierId);
    if (!dossier) return 'not-paid';
    const [paid] = await m.query<
      {
        payment_id: string;
        amount_vnd: string;
        method: string | null;
        cash_receipt_no: string | null;
        cash_agency_code: string | null;
        refund_status: RefundRow['status'] | null;
      }[]
    >(
      `SELECT i.payment_id, i.amount_vnd, i.method, i.cash_receipt_no, i.cash_agency_code, r.status AS refund_status
       FROM payment_intents i LEFT JOIN payment_refunds r ON r.payment_id = i.payment_id
       WHERE i.dossier_id = $1 AND i.status = 'SUCCEEDED'`,
      [dossierId],
    );
    if (!paid) return 'not-paid';
    if (paid.refund_status === 'PENDING') {
      // Decided before; its job may have been lost with Redis (adding an existing job id is a no-op).
      afterCommit(() => this.queues.enqueueRefunds([paid.payment_id]));
    }
    if (paid.refund_status) return 'already';
    const amountVnd = Number(paid.amount_vnd);
    const now = this.clock.now();
    // Cash never reached the gateway, which has nothing to refund: the agency owes it back at its counter.
    if (paid.method === 'CASH') {
      await m.query(
        `INSERT INTO payment_refunds (payment_id, dossier_id, amount_vnd, reason, method, status, cause_event_id,
           correlation_id, requested_at, refunded_at)
         VALUES ($1, $2, $3, $4, 'CASH_AT_COUNTER', 'REFUNDED', $5, $6, $7, $7)`,
        [paid.payment_id, dossierId, amountVnd, reason, cause.eventId, cause.correlationId, now],
      );
      const counter = paid.cash_agency_code ?? 'the agency';
      await this.messaging.outbox.add(
        m,
        'payment.refunded.v1',
        {
          dossierId,
          paymentId: paid.payment_id,
          amountVnd,
          reason: `${reason}; paid in cash (receipt ${paid.cash_receipt_no ?? '?'}), to be paid back in cash at the counter of ${counter}`,
          refundedAt: now.toISOString(),
        },
        { dossierId, correlationId: cause.correlationId, causationId: cause.eventId },
      );
      // Money owed back: recorded in the decision's transaction (a refund is rare next to the dossier flow).
      await this.audit(m, paid.payment_id, 'payment.refund.decide', 'allowed', cause.correlationId, {
        dossierId,
        amountVnd,
        method: 'CASH_AT_COUNTER',
        reason,
        causeEventId: cause.eventId,
      });
      this.log.info({ dossierId, paymentId: paid.payment_id, cash: true }, 'payment refunded');
      return 'refunded';
    }
    await m.query(
      `INSERT INTO payment_refunds (payment_id, dossier_id, amount_vnd, reason, method, status, cause_event_id,
         correlation_id, requested_at)
       VALUES ($1, $2, $3, $4, 'GATEWAY', 'PENDING', $5, $6, $7)`,
      [paid.payment_id, dossierId, amountVnd, reason, cause.eventId, cause.correlationId, now],
    );
    await this.audit(m, paid.payment_id, 'payment.refund.decide', 'allowed', cause.correlationId, {
      dossierId,
      amountVnd,
      method: 'GATEWAY',
      reason,
      causeEventId: cause.eventId,
    });
    afterCommit(() => this.queues.enqueueRefunds([paid.payment_id]));
    return 'decided';
  }

  /**
   * The refund job: re-reads the committed decision, asks the gateway (idempotent per refund), then records the
   * outcome and its event in one transaction. Throws on a failure worth retrying (gateway unreachable, 5xx); a
   * refusal of the gateway is recorded (FAILED, for an operator) and logged, since asking again changes nothing.
   */
  async carryOut(paymentId: string): Promise<'refunded' | 'failed' | 'nothing'> {
    const [refund] = await this.ds.query<RefundRow[]>(`SELECT * FROM payment_refunds WHERE payment_id = $1`, [
      paymentId,
    ]);
    if (refund?.status !== 'PENDING') return 'nothing';
    const amountVnd = Number(refund.amount_vnd);
    let refundId: string;
    try {
      ({ refundId } = await this.gateway.refund(
        { paymentId, amountVnd, reason: refund.reason },
        refundJobId(paymentId),
      ));
    } catch (e) {
      if (!(e instanceof GatewayRefused)) throw e;
      const failed = await this.messaging.transaction(async (m) => {
        const rows = await m.query<unknown[]>(
          `WITH u AS (UPDATE payment_refunds SET status = 'FAILED', last_error = $2
                      WHERE payment_id = $1 AND status = 'PENDING' RETURNING payment_id)
           SELECT * FROM u`,
          [paymentId, e.message],
        );
        if (rows.length > 0) {
          await this.audit(m, paymentId, 'payment.refund', 'failed', refund.correlation_id, {
            dossierId: refund.dossier_id,
            amountVnd,
            error: e.message,
          });
        }
        return rows.length > 0;
      });
      if (failed) {
        this.log.error(
          { dossierId: refund.dossier_id, paymentId, err: e },
          'the gateway refused a refund; refund by hand',
        );
      }
      return failed ? 'failed' : 'nothing';
    }
    return this.messaging.transaction(async (m) => {
      const now = this.clock.now();
      // Conditional: of two runs that both got the refund back from the gateway, one records it and emits the event.
      // (A CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count] instead of the rows.)
      const rows = await m.query<unknown[]>(
        `WITH u AS (UPDATE payment_refunds SET status = 'REFUNDED', gateway_refund_id = $2, refunded_at = $3, last_error = NULL
                    WHERE payment_id = $1 AND status = 'PENDING' RETURNING payment_id)
         SELECT * FROM u`,
        [paymentId, refundId, now],
      );
      if (rows.length === 0) return 'nothing';
      await this.messaging.outbox.add(
        m,
        'payment.refunded.v1',
        {
          dossierId: refund.dossier_id,
          paymentId,
          amountVnd,
          reason: refund.reason,
          refundedAt: now.toISOString(),
        },
        {
          dossierId: refund.dossier_id,
          correlationId: refund.correlation_id ?? `refund-${paymentId}`,
          causationId: refund.cause_event_id,
        },
      );
      await this.audit(m, paymentId, 'payment.refund', 'allowed', refund.correlation_id, {
        dossierId: refund.dossier_id,
        amountVnd,
        gatewayRefundId: refundId,
      });
      this.log.info({ dossierId: refund.dossier_id, paymentId, refundId }, 'payment refunded');
      return 'refunded';
    });
  }

  /** A refund's decision or outcome, in the audit trail of the transaction that writes it. */
  private audit(
    m: EntityManager,
    paymentId: string,
    action: string,
    outcome: AuditEntry['outcome'],
    correlationId: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(
      m,
      this.rootLogger,
      {
        action,
        outcome,
        actor: SYSTEM_ACTOR,
        resource: paymentId,
        ...(correlationId ? { correlationId } : {}),
      },
      details,
    );
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
