import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { createRedis } from '@hoso/nest-kit';
import { ExpireIntent, IntentNotFoundYet } from '../intents/expire-intent.handler';
import { Reconcile } from '../reconciliation/reconcile.handler';
import { RefundPayment } from '../refunds/refund.handler';
import {
  EXPIRY_QUEUE,
  PaymentQueues,
  RECONCILE_QUEUE,
  REFUND_QUEUE,
  type ExpiryJob,
  type RefundJob,
} from './payment-queues';

/**
 * Runs the delayed expiry jobs, the refund jobs and the repeatable reconciliation; closed before the database on
 * shutdown. The jobs are added after the commits that decide them and re-added by PaymentTimers (the reconciliation
 * schedule too) whenever Redis lost them.
 */
@Injectable()
export class PaymentWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private workers: Worker[] = [];

  constructor(
    private readonly queues: PaymentQueues,
    private readonly expire: ExpireIntent,
    private readonly reconcile: Reconcile,
    private readonly refunds: RefundPayment,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('PaymentWorkers');
  }

  onApplicationBootstrap(): void {
    const url = this.queues.config.REDIS_URL;
    const expiry = new Worker<ExpiryJob>(
      this.queues.name(EXPIRY_QUEUE),
      async (job: Job<ExpiryJob>) => {
        try {
          return await this.expire.expire(job.data.paymentId);
        } catch (e) {
          // Expiry jobs are added only once their intent committed: a missing intent will not come.
          if (e instanceof IntentNotFoundYet) {
            throw new UnrecoverableError(e.message);
          }
          throw e;
        }
      },
      { connection: createRedis(url, 'payment-expiry-worker'), concurrency: 5 },
    );
    const reconcile = new Worker(
      this.queues.name(RECONCILE_QUEUE),
      async () => {
        const r = await this.reconcile.run(`reconcile-${Date.now()}`);
        return { repaired: r.repaired.length, differences: r.differences.length };
      },
      { connection: createRedis(url, 'payment-reconcile-worker'), concurrency: 1 },
    );
    const refund = new Worker<RefundJob>(
      this.queues.name(REFUND_QUEUE),
      (job: Job<RefundJob>) => this.refunds.carryOut(job.data.paymentId),
      { connection: createRedis(url, 'payment-refund-worker'), concurrency: 5 },
    );
    for (const w of [expiry, reconcile, refund]) {
      w.on('failed', (job, err) => {
        this.log.warn({ queue: w.name, jobId: job?.id, err }, 'job failed');
      });
      w.on('error', (err) => {
        this.log.error({ queue: w.name, err }, 'worker error');
      });
    }
    this.workers = [expiry, reconcile, refund];
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        await w.close();
        await (await w.client).quit().catch(() => undefined);
      }),
    );
  }
}
