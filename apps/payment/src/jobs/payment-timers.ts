import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TimerKeeper } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../tokens';
import { PaymentQueues } from './payment-queues';

/** Rows per keyset page: one addBulk per page, so a large backlog never builds one huge Redis call. */
const PAGE = 500;

/**
 * The jobs PostgreSQL's committed state calls for, re-added by the TimerKeeper at start, at once when Redis lost its
 * data and every minute (which also covers a process that died between a commit and its enqueue). Every add uses
 * the job's deterministic id, so a job that exists is left as it is, and every worker re-reads the state, so a job
 * added again after it ran does nothing.
 */
@Injectable()
export class PaymentTimers implements OnModuleInit {
  constructor(
    private readonly keeper: TimerKeeper,
    private readonly queues: PaymentQueues,
    private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.keeper.register({ name: 'payment-expiry', ensure: () => this.ensureExpiries() });
    this.keeper.register({ name: 'payment-refunds', ensure: () => this.ensureRefunds() });
    this.keeper.register({
      name: 'payment-reconcile-schedule',
      ensure: async () => {
        await this.queues.ensureReconcileSchedule();
        return 1;
      },
    });
  }

  /**
   * An expiry job for every intent whose expiry can still change something: those of unpaid (AWAITING_PAYMENT)
   * dossiers that are pending, or failed and not retried (their expiry ends the dossier). Past due → runs at once.
   */
  ensureExpiries(): Promise<number> {
    return this.pages(
      `SELECT dossier_id AS key FROM payment_dossiers WHERE state = 'AWAITING_PAYMENT' AND dossier_id > $1
       ORDER BY dossier_id LIMIT $2`,
      async (dossierIds) => {
        const intents = await this.ds.query<{ payment_id: string; expires_at: Date }[]>(
          `SELECT payment_id, expires_at FROM payment_intents
           WHERE dossier_id = ANY($1::uuid[]) AND status IN ('PENDING', 'FAILED')`,
          [dossierIds],
        );
        await this.queues.scheduleExpiries(
          intents.map((r) => ({ paymentId: r.payment_id, expiresAt: r.expires_at })),
          this.clock.now(),
        );
        return intents.length;
      },
    );
  }

  /** A refund job for every refund decided but not carried out (PENDING). */
  ensureRefunds(): Promise<number> {
    return this.pages(
      `SELECT payment_id AS key FROM payment_refunds WHERE status = 'PENDING' AND payment_id > $1
       ORDER BY payment_id LIMIT $2`,
      async (paymentIds) => {
        await this.queues.enqueueRefunds(paymentIds);
        return paymentIds.length;
      },
    );
  }

  /** Keyset pages of uuids (partial indexes serve them: only what is open is read); returns the jobs ensured. */
  private async pages(sql: string, each: (keys: string[]) => Promise<number>): Promise<number> {
    let after = '00000000-0000-0000-0000-000000000000';
    let n = 0;
    for (;;) {
      const keys = (await this.ds.query<{ key: string }[]>(sql, [after, PAGE])).map((r) => r.key);
      const last = keys[keys.length - 1];
      if (last === undefined) return n;
      n += await each(keys);
      if (keys.length < PAGE) return n;
      after = last;
    }
  }
}
