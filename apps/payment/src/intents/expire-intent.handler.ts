import { Inject, Injectable } from '@nestjs/common';
import { MessagingService } from '@hoso/messaging';
import type { Config } from '../config';
import { CLOCK, PAYMENT_CONFIG, type Clock } from '../tokens';
import { decideExpiry } from './domain/intent';
import { findIntent, intentsOf, lockDossier, setDossierState } from './intent.store';

export class IntentNotFoundYet extends Error {}

/** Runs when an intent's delayed BullMQ job fires (or reconciliation finds it overdue). */
@Injectable()
export class ExpireIntent {
  constructor(
    private readonly messaging: MessagingService,
    @Inject(PAYMENT_CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns what happened; throws IntentNotFoundYet when the creating transaction has not committed (BullMQ retries). */
  expire(paymentId: string): Promise<'ended' | 'expired' | 'nothing'> {
    return this.messaging.transaction(async (m) => {
      const ref = await findIntent(m, paymentId);
      if (!ref) throw new IntentNotFoundYet(`payment ${paymentId} not found`);
      const dossier = await lockDossier(m, ref.dossier_id);
      const intents = await intentsOf(m, ref.dossier_id);
      const intent = intents.find((i) => i.payment_id === paymentId);
      if (!dossier || !intent) return 'nothing';
      const now = this.clock.now();
      if (intent.expires_at.getTime() > now.getTime()) return 'nothing';
      const newest = intents[intents.length - 1];
      const d = decideExpiry({ status: intent.status, isNewest: newest?.payment_id === paymentId }, dossier.state);
      if (d.expireIntent) {
        await m.query(
          `UPDATE payment_intents SET status = 'EXPIRED', failure_reason = 'EXPIRED', settled_at = $2, settled_via = 'EXPIRY'
           WHERE payment_id = $1`,
          [paymentId, now],
        );
      }
      if (!d.endDossier) return d.expireIntent ? 'expired' : 'nothing';
      await setDossierState(m, dossier.dossier_id, 'EXPIRED');
      await this.messaging.outbox.add(
        m,
        'payment.failed.v1',
        {
          dossierId: dossier.dossier_id,
          paymentId,
          reason: 'EXPIRED',
          detail: `not paid within ${this.config.PAYMENT_INTENT_TTL_SEC} s`,
          final: true,
          failedAt: now.toISOString(),
        },
        { dossierId: dossier.dossier_id, correlationId: `expiry-${paymentId}`, causationId: null },
      );
      return 'ended';
    });
  }
}
