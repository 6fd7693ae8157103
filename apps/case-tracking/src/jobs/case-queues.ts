import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '@hoso/nest-kit';
import type { Config } from '../config';
import { CASE_CONFIG } from '../tokens';

export const SLA_QUEUE = 'case-sla';
export const NOTIFY_QUEUE = 'case-notifications';

export interface SlaJob {
  caseId: string;
  clockVersion: number;
  kind: 'warning' | 'overdue';
}

/** A notification job names its committed row; the worker reads what to send from PostgreSQL. */
export interface NotifyJob {
  idempotencyKey: string;
}

/** One clock version's timers: the warning (null once it has fired, or while paused) and the overdue mark. */
export interface SlaTimers {
  caseId: string;
  clockVersion: number;
  warnAt: Date | null;
  dueAt: Date;
}

/** BullMQ ids cannot contain ':'; case id + clock version, so a reschedule never duplicates and stale ids are known. */
export const slaJobId = (kind: SlaJob['kind'], caseId: string, clockVersion: number) =>
  `${kind}-${caseId}-v${clockVersion}`;

/**
 * The producer side of the service's BullMQ queues (workers live in CaseWorkers). Every call here runs after the
 * commit that decided it, on a fail-fast connection: a frozen or absent Redis fails the call within seconds, the
 * caller logs it, and the timer rebuild (CaseTimers) adds the job from the committed rows.
 */
@Injectable()
export class CaseQueues implements OnApplicationShutdown {
  readonly connection: Redis;
  readonly sla: Queue<SlaJob>;
  readonly notify: Queue<NotifyJob>;

  constructor(@Inject(CASE_CONFIG) readonly config: Config) {
    this.connection = createRedis(config.REDIS_URL, 'case-queues', { failFast: true });
    this.sla = new Queue<SlaJob>(this.name(SLA_QUEUE), { connection: this.connection });
    this.notify = new Queue<NotifyJob>(this.name(NOTIFY_QUEUE), { connection: this.connection });
  }

  name(queue: string): string {
    return `${this.config.queuePrefix}${queue}`;
  }

  /**
   * Schedules the 80 % warning and the overdue mark of one clock version. Delays are scaled so demos and tests
   * can compress working days into seconds; a time already past runs at once. Workers check the version, so a job
   * of a stale clock does nothing.
   */
  async scheduleSla(caseId: string, clockVersion: number, warnAt: Date | null, dueAt: Date, now: Date): Promise<void> {
    await this.scheduleSlaMany([{ caseId, clockVersion, warnAt, dueAt }], now);
  }

  /** The same for many cases in one round trip (the rebuild); an id that exists already is left as it is. */
  async scheduleSlaMany(timers: readonly SlaTimers[], now: Date): Promise<number> {
    const delay = (at: Date) => Math.max(0, Math.round((at.getTime() - now.getTime()) / this.config.SLA_TIME_SCALE));
    const opts: JobsOptions = {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    };
    const jobs = timers.flatMap(({ caseId, clockVersion, warnAt, dueAt }) => [
      ...(warnAt
        ? [
            {
              name: 'warning',
              data: { caseId, clockVersion, kind: 'warning' as const },
              opts: { ...opts, jobId: slaJobId('warning', caseId, clockVersion), delay: delay(warnAt) },
            },
          ]
        : []),
      {
        name: 'overdue',
        data: { caseId, clockVersion, kind: 'overdue' as const },
        opts: { ...opts, jobId: slaJobId('overdue', caseId, clockVersion), delay: delay(dueAt) },
      },
    ]);
    if (jobs.length) await this.sla.addBulk(jobs);
    return jobs.length;
  }

  /** Removes a clock version's jobs (a pause, or the case is closed). */
  async cancelSla(caseId: string, clockVersion: number): Promise<void> {
    await Promise.all((['warning', 'overdue'] as const).map((k) => this.sla.remove(slaJobId(k, caseId, clockVersion))));
  }

  /** Enqueues committed notification rows by key (the job id: a key already queued or kept is not added again). */
  async enqueueNotifications(keys: readonly string[]): Promise<number> {
    if (!keys.length) return 0;
    await this.notify.addBulk(
      keys.map((idempotencyKey) => ({
        name: 'notify',
        data: { idempotencyKey },
        opts: {
          jobId: idempotencyKey,
          attempts: this.config.NOTIFY_ATTEMPTS,
          backoff: { type: 'exponential', delay: this.config.NOTIFY_BACKOFF_MS },
          removeOnComplete: { age: 3600 },
          // The row keeps the outcome (failed_at, last_error); a kept failed job would block a resend by the rebuild.
          removeOnFail: true,
        },
      })),
    );
    return keys.length;
  }

  async enqueueNotification(key: string): Promise<void> {
    await this.enqueueNotifications([key]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sla.close();
    await this.notify.close();
    await this.connection.quit().catch(() => undefined);
  }
}
