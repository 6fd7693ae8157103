import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { MessagingService } from '@hoso/messaging';
import { decideGatewayResult, type GatewayResult } from '../intents/domain/intent';
import { CompletePayment } from '../intents/complete-payment';
import { findIntent, intentsOf, lockDossier } from '../intents/intent.store';

export type PaymentMethod = 'CARD' | 'BANK_TRANSFER' | 'EWALLET' | 'COUNTER';

export interface VerifiedGatewayResult extends GatewayResult {
  gatewayReference: string;
  method: PaymentMethod;
  occurredAt: string;
}

export type ApplyOutcome = 'completed' | 'failed' | 'ignored' | 'flagged' | 'unknown-payment';

/**
 * Applies a gateway result that is known to be genuine (a verified callback, or the gateway's own ledger):
 * under the dossier's lock, so duplicates, concurrent copies and out-of-order results change state at most once.
 */
@Injectable()
export class ApplyGatewayResult {
  constructor(
    private readonly messaging: MessagingService,
    private readonly completePayment: CompletePayment,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('ApplyGatewayResult');
  }

  apply(
    r: VerifiedGatewayResult,
    via: 'CALLBACK' | 'RECONCILIATION',
    correlationId: string,
  ): Promise<{ outcome: ApplyOutcome; detail?: string }> {
    return this.messaging.transaction(async (m) => {
      const ref = await findIntent(m, r.paymentId);
      if (!ref) return { outcome: 'unknown-payment' as const };
      const dossier = await lockDossier(m, ref.dossier_id);
      const intents = await intentsOf(m, ref.dossier_id);
      const intent = intents.find((i) => i.payment_id === r.paymentId);
      if (!dossier || !intent) return { outcome: 'unknown-payment' as const };
      const decision = decideGatewayResult(
        {
          status: intent.status,
          amountVnd: Number(intent.amount_vnd),
          sessionId: intent.session_id,
          paidInCash: intent.method === 'CASH',
        },
        {
          state: dossier.state,
          paidByAnotherIntent: intents.some((i) => i.status === 'SUCCEEDED' && i.payment_id !== r.paymentId),
        },
        r,
      );
      const meta = { dossierId: dossier.dossier_id, correlationId, causationId: r.gatewayReference };
      switch (decision.action) {
        case 'ignore':
          return { outcome: 'ignored' as const, detail: decision.why };
        case 'flag':
          await m.query('UPDATE payment_intents SET flag = $2, flag_detail = $3 WHERE payment_id = $1', [
            r.paymentId,
            decision.flag,
            decision.detail,
          ]);
          this.log.warn(
            { paymentId: r.paymentId, flag: decision.flag, detail: decision.detail, via },
            'gateway result flagged',
          );
          return { outcome: 'flagged' as const, detail: `${decision.flag}: ${decision.detail}` };
        case 'fail':
          await m.query(
            `UPDATE payment_intents SET status = 'FAILED', failure_reason = 'DECLINED', gateway_reference = $2,
               method = $3, settled_at = $4, settled_via = $5, session_id = COALESCE(session_id, $6) WHERE payment_id = $1`,
            [r.paymentId, r.gatewayReference, r.method, r.occurredAt, via, r.sessionId],
          );
          await this.messaging.outbox.add(
            m,
            'payment.failed.v1',
            {
              dossierId: dossier.dossier_id,
              paymentId: r.paymentId,
              reason: 'DECLINED',
              detail: `declined at the gateway (${r.gatewayReference})`,
              final: false,
              failedAt: r.occurredAt,
            },
            meta,
          );
          return { outcome: 'failed' as const };
        case 'complete':
          await this.completePayment.complete(
            m,
            {
              dossierId: dossier.dossier_id,
              paymentId: r.paymentId,
              amountVnd: r.amountVnd,
              occurredAt: r.occurredAt,
              settlement: { via, method: r.method, gatewayReference: r.gatewayReference, sessionId: r.sessionId },
            },
            meta,
          );
          return { outcome: 'completed' as const };
      }
    });
  }
}
