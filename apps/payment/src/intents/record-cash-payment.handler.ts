import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { MessagingService } from '@hoso/messaging';
import { recordAudit } from '@hoso/nest-kit';
import { CLOCK, ROOT_LOGGER, type Clock } from '../tokens';
import { CompletePayment } from './complete-payment';
import { decideCashPayment } from './domain/intent';
import { findIntent, intentsOf, lockDossier, type IntentRow } from './intent.store';

export interface CashPayment {
  paymentId: string;
  amountVnd: number;
  receiptNo: string;
  officer: { sub: string; agencyCode: string };
  correlationId: string;
}

export type CashOutcome =
  | { outcome: 'recorded' | 'replayed'; intent: IntentRow }
  | { outcome: 'refused'; status: 400 | 404 | 409; reason: string };

/** The unique index that keeps one counter receipt from paying two dossiers (see the cash-payments migration). */
const RECEIPT_INDEX = 'payment_intents_cash_receipt';

/**
 * Records a fee an officer took in cash at the counter, under the dossier's lock (so it serialises with callbacks,
 * expiry and reconciliation), completing the payment through the same code as a gateway success.
 */
@Injectable()
export class RecordCashPayment {
  constructor(
    private readonly messaging: MessagingService,
    private readonly completePayment: CompletePayment,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async record(c: CashPayment): Promise<CashOutcome> {
    try {
      return await this.messaging.transaction(async (m): Promise<CashOutcome> => {
        const ref = await findIntent(m, c.paymentId);
        const dossier = ref && (await lockDossier(m, ref.dossier_id));
        const intents = ref ? await intentsOf(m, ref.dossier_id) : [];
        const intent = intents.find((i) => i.payment_id === c.paymentId);
        if (!dossier || !intent) return { outcome: 'refused', status: 404, reason: `${c.paymentId} not found` };
        // Checked again under the lock (the controller checked before): an officer pays only their agency's dossiers.
        if (dossier.agency_code !== c.officer.agencyCode) {
          return { outcome: 'refused', status: 404, reason: `${c.paymentId} not found` };
        }
        const now = this.clock.now();
        const decision = decideCashPayment(
          {
            status: intent.status,
            amountVnd: Number(intent.amount_vnd),
            expiresAt: intent.expires_at,
            method: intent.method,
            receiptNo: intent.cash_receipt_no,
          },
          {
            state: dossier.state,
            paidByAnotherIntent: intents.some((i) => i.status === 'SUCCEEDED' && i.payment_id !== c.paymentId),
          },
          { amountVnd: c.amountVnd, receiptNo: c.receiptNo },
          now,
        );
        switch (decision.action) {
          case 'refuse':
            return { outcome: 'refused', status: decision.status, reason: decision.reason };
          case 'replay':
            return { outcome: 'replayed', intent };
          case 'record': {
            const [used] = await m.query<{ payment_id: string }[]>(
              'SELECT payment_id FROM payment_intents WHERE cash_agency_code = $1 AND cash_receipt_no = $2',
              [c.officer.agencyCode, c.receiptNo],
            );
            if (used) return receiptTaken(c.receiptNo, used.payment_id);
            await this.completePayment.complete(
              m,
              {
                dossierId: dossier.dossier_id,
                paymentId: c.paymentId,
                amountVnd: c.amountVnd,
                occurredAt: now.toISOString(),
                settlement: {
                  via: 'COUNTER',
                  receiptNo: c.receiptNo,
                  recordedBy: c.officer.sub,
                  agencyCode: c.officer.agencyCode,
                },
              },
              { correlationId: c.correlationId, causationId: null },
            );
            // Money changing hands on an officer's word: recorded with the payment it completes, in its transaction.
            await recordAudit(
              m,
              this.logger,
              {
                action: 'payment.cash',
                outcome: 'allowed',
                actor: { sub: c.officer.sub, role: 'officer' },
                resource: c.paymentId,
                reason: `receipt ${c.receiptNo}, ${c.amountVnd} VND`,
                correlationId: c.correlationId,
              },
              { dossierId: dossier.dossier_id, agencyCode: c.officer.agencyCode },
            );
            return { outcome: 'recorded', intent: (await findIntent(m, c.paymentId)) as IntentRow };
          }
        }
      });
    } catch (e) {
      // Two dossiers paid with one receipt at the same moment: the index lets one through.
      if (constraintOf(e) === RECEIPT_INDEX) return receiptTaken(c.receiptNo, 'another payment');
      throw e;
    }
  }
}

function receiptTaken(receiptNo: string, paymentId: string): CashOutcome {
  return {
    outcome: 'refused',
    status: 409,
    reason: `receipt ${receiptNo} was already recorded for ${paymentId}`,
  };
}

function constraintOf(e: unknown): string | undefined {
  const err = e as { constraint?: unknown; driverError?: { constraint?: unknown } } | null;
  const name = err?.constraint ?? err?.driverError?.constraint;
  return typeof name === 'string' ? name : undefined;
}
