import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { MessagingService } from '@hoso/messaging';
import type { Config } from '../config';
import { PaymentQueues, type AfterCommit } from '../jobs/payment-queues';
import { CLOCK, PAYMENT_CONFIG, type Clock } from '../tokens';
import type { IntentRow } from './intent.store';

export interface EventCause {
  correlationId: string;
  causationId: string | null;
}

/**
 * Creates a pending intent and its payment.requested.v1 in the caller's transaction; its expiry job is added once
 * that transaction committed (`afterCommit`), so a rolled-back intent leaves no job and nothing waits on Redis while
 * the transaction is open. An add that fails is redone by the timer rebuild (PaymentTimers).
 */
@Injectable()
export class OpenIntent {
  constructor(
    private readonly messaging: MessagingService,
    private readonly queues: PaymentQueues,
    @Inject(PAYMENT_CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async open(
    m: EntityManager,
    dossierId: string,
    amountVnd: number,
    cause: EventCause,
    afterCommit: AfterCommit,
  ): Promise<IntentRow> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.PAYMENT_INTENT_TTL_SEC * 1000);
    const paymentId = uuidv7();
    const [intent] = await m.query<IntentRow[]>(
      `INSERT INTO payment_intents (payment_id, dossier_id, amount_vnd, status, created_at, expires_at)
       VALUES ($1, $2, $3, 'PENDING', $4, $5) RETURNING *`,
      [paymentId, dossierId, amountVnd, now, expiresAt],
    );
    await this.messaging.outbox.add(
      m,
      'payment.requested.v1',
      { dossierId, paymentId, amountVnd, expiresAt: expiresAt.toISOString(), requestedAt: now.toISOString() },
      { dossierId, correlationId: cause.correlationId, causationId: cause.causationId },
    );
    afterCommit(() => this.queues.scheduleExpiry(paymentId, expiresAt, this.clock.now()));
    return intent as IntentRow;
  }
}
