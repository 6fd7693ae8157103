import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { createRedis } from '@hoso/nest-kit';
import { ExpireIntent, IntentNotFoundYet } from '../intents/expire-intent.handler';
import { Reconcile } from '../reconciliation/reconcile.handler';
import { EXPIRY_QUEUE, PaymentQueues, RECONCILE_QUEUE, type ExpiryJob } from './payment-queues';

/** Runs the delayed expiry jobs and the repeatable reconciliation; closed before the database on shutdown. */
@Injectable()
export class PaymentWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private workers: Worker[] = [];

  constructor(
    private readonly queues: PaymentQueues,
    private readonly expire: ExpireIntent,
    private readonly reconcile: Reconcile,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('PaymentWorkers');
  }

  async onApplicationBootstrap(): Promise<void> {
    const url = this.queues.config.REDIS_URL;
    const expiry = new Worker<ExpiryJob>(
      this.queues.name(EXPIRY_QUEUE),
      async (job: Job<ExpiryJob>) => {
        try {
          return await this.expire.expire(job.data.paymentId);
        } catch (e) {
          // Not committed yet: retry; after the last attempt the creating transaction must have rolled back.
          if (e instanceof IntentNotFoundYet && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
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
    for (const w of [expiry, reconcile]) {
      w.on('failed', (job, err) => {
        this.log.warn({ queue: w.name, jobId: job?.id, err }, 'job failed');
      });
      w.on('error', (err) => {
        this.log.error({ queue: w.name, err }, 'worker error');
      });
    }
    this.workers = [expiry, reconcile];
    await this.queues.reconcile.upsertJobScheduler(
      'reconcile',
      { every: this.queues.config.RECONCILE_EVERY_SEC * 1000 },
      { name: 'reconcile', opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
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
