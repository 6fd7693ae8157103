import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '@hoso/nest-kit';
import type { Config } from '../config';
import { PAYMENT_CONFIG } from '../tokens';

export const EXPIRY_QUEUE = 'payment-expiry';
export const RECONCILE_QUEUE = 'payment-reconcile';

export interface ExpiryJob {
  paymentId: string;
}

/** BullMQ job ids cannot contain ':'; one expiry job per payment, so a redelivered event adds nothing. */
export const expiryJobId = (paymentId: string) => `expire-${paymentId}`;

/** The producer side of the service's BullMQ queues (workers live in PaymentWorkers). */
@Injectable()
export class PaymentQueues implements OnApplicationShutdown {
  readonly connection: Redis;
  readonly expiry: Queue<ExpiryJob>;
  readonly reconcile: Queue;

  constructor(@Inject(PAYMENT_CONFIG) readonly config: Config) {
    this.connection = createRedis(config.REDIS_URL, 'payment-queues');
    this.expiry = new Queue<ExpiryJob>(this.name(EXPIRY_QUEUE), { connection: this.connection });
    this.reconcile = new Queue(this.name(RECONCILE_QUEUE), { connection: this.connection });
  }

  /** Queue names carry the environment's prefix so test runs (and environments on one Redis) never meet. */
  name(queue: string): string {
    return `${this.config.queuePrefix}${queue}`;
  }

  /**
   * Schedules an intent's expiry. Added inside the creating transaction: if that rolls back, the job finds no
   * intent and gives up after its retries; if it commits, the job is already there.
   */
  async scheduleExpiry(paymentId: string, expiresAt: Date, now: Date): Promise<void> {
    await this.expiry.add(
      'expire',
      { paymentId },
      {
        jobId: expiryJobId(paymentId),
        delay: Math.max(0, expiresAt.getTime() - now.getTime()),
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.expiry.close();
    await this.reconcile.close();
    await this.connection.quit().catch(() => undefined);
  }
}
