import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedis } from '@hoso/nest-kit';
import type { Config } from '../config';
import { PAYMENT_CONFIG, ROOT_LOGGER } from '../tokens';

export const EXPIRY_QUEUE = 'payment-expiry';
export const RECONCILE_QUEUE = 'payment-reconcile';
export const REFUND_QUEUE = 'payment-refunds';

export interface ExpiryJob {
  paymentId: string;
}

export interface RefundJob {
  paymentId: string;
}

/** BullMQ job ids cannot contain ':'; one expiry job per payment, so a redelivered event adds nothing. */
export const expiryJobId = (paymentId: string) => `expire-${paymentId}`;
/** One refund job per payment (a payment is refunded at most once); also the gateway's idempotency key. */
export const refundJobId = (paymentId: string) => `refund-${paymentId}`;

/** After a failed add, further adds fail at once for this long: a frozen Redis costs one timeout, not one per job. */
const PAUSE_AFTER_FAILURE_MS = 5_000;

const expiryOptions = (paymentId: string, delay: number): JobsOptions => ({
  jobId: expiryJobId(paymentId),
  delay,
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 7 * 86_400 },
});

const refundOptions = (paymentId: string): JobsOptions => ({
  jobId: refundJobId(paymentId),
  // About two minutes of gateway outage; a refund still pending after that is re-added by the timer rebuild
  // (the failed job is removed so its id is free again).
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600 },
  removeOnFail: true,
});

/**
 * The producer side of the service's BullMQ queues (workers live in PaymentWorkers). Jobs are added only after the
 * transaction that decides them committed, on a fail-fast connection: nothing waits on Redis while a transaction is
 * open, and an add that fails is left to the timer rebuild (PaymentTimers), which derives every job from PostgreSQL.
 */
@Injectable()
export class PaymentQueues implements OnApplicationShutdown {
  readonly connection: Redis;
  readonly expiry: Queue<ExpiryJob>;
  readonly reconcile: Queue;
  readonly refunds: Queue<RefundJob>;
  private pausedUntil = 0;

  constructor(
    @Inject(PAYMENT_CONFIG) readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.connection = createRedis(config.REDIS_URL, 'payment-queues', { failFast: true });
    this.expiry = new Queue<ExpiryJob>(this.name(EXPIRY_QUEUE), { connection: this.connection });
    this.reconcile = new Queue(this.name(RECONCILE_QUEUE), { connection: this.connection });
    this.refunds = new Queue<RefundJob>(this.name(REFUND_QUEUE), { connection: this.connection });
    for (const q of [this.expiry, this.reconcile, this.refunds]) {
      // A Redis outage is reported by the adds that fail; without a listener an 'error' event would end the process.
      q.on('error', (err) => {
        this.logger.debug({ err, queue: q.name }, 'queue connection error');
      });
    }
  }

  /** Queue names carry the environment's prefix so test runs (and environments on one Redis) never meet. */
  name(queue: string): string {
    return `${this.config.queuePrefix}${queue}`;
  }

  /** Schedules an intent's expiry; call it once the intent committed. Due already → runs at once. */
  async scheduleExpiry(paymentId: string, expiresAt: Date, now: Date): Promise<void> {
    await this.guarded(() =>
      this.expiry.add(
        'expire',
        { paymentId },
        expiryOptions(paymentId, Math.max(0, expiresAt.getTime() - now.getTime())),
      ),
    );
  }

  /** The same for many intents (the timer rebuild); an id that exists is left as it is. */
  async scheduleExpiries(intents: { paymentId: string; expiresAt: Date }[], now: Date): Promise<void> {
    if (intents.length === 0) return;
    await this.guarded(() =>
      this.expiry.addBulk(
        intents.map((i) => ({
          name: 'expire',
          data: { paymentId: i.paymentId },
          opts: expiryOptions(i.paymentId, Math.max(0, i.expiresAt.getTime() - now.getTime())),
        })),
      ),
    );
  }

  /** Asks for a decided (PENDING, committed) refund to be carried out. */
  async enqueueRefunds(paymentIds: string[]): Promise<void> {
    if (paymentIds.length === 0) return;
    await this.guarded(() =>
      this.refunds.addBulk(
        paymentIds.map((paymentId) => ({ name: 'refund', data: { paymentId }, opts: refundOptions(paymentId) })),
      ),
    );
  }

  /** The repeatable reconciliation; upserting an unchanged scheduler changes nothing. */
  async ensureReconcileSchedule(): Promise<void> {
    await this.guarded(() =>
      this.reconcile.upsertJobScheduler(
        'reconcile',
        { every: this.config.RECONCILE_EVERY_SEC * 1000 },
        { name: 'reconcile', opts: { removeOnComplete: 100, removeOnFail: 100 } },
      ),
    );
  }

  private async guarded(add: () => Promise<unknown>): Promise<void> {
    if (Date.now() < this.pausedUntil) {
      throw new Error('Redis failed an add moments ago; this job is left to the timer rebuild');
    }
    try {
      await add();
    } catch (e) {
      this.pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
      throw e;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.expiry.close(), this.reconcile.close(), this.refunds.close()]);
    await this.connection.quit().catch(() => undefined);
  }
}

/** Registers an effect to run once the current transaction committed (EventContext.afterCommit or AfterCommits). */
export type AfterCommit = (effect: () => Promise<unknown>) => void;

/**
 * After-commit effects of a transaction that is not a consumer flush (an HTTP request's): collected while it runs,
 * run once it committed, never if it threw. A failing effect is logged: the timer rebuild redoes it.
 */
export class AfterCommits {
  private readonly effects: (() => Promise<unknown>)[] = [];
  readonly add: AfterCommit = (effect) => {
    this.effects.push(effect);
  };

  async run(logger: Logger): Promise<void> {
    for (const effect of this.effects) {
      try {
        await effect();
      } catch (err) {
        logger.warn({ err }, 'an after-commit effect failed; the timer rebuild redoes it from the committed state');
      }
    }
  }
}
