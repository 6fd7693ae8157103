import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '@hoso/nest-kit';
import type { Config } from '../config';
import type { Notification } from '../notifications/notification.adapter';
import { CASE_CONFIG } from '../tokens';

export const SLA_QUEUE = 'case-sla';
export const NOTIFY_QUEUE = 'case-notifications';

export interface SlaJob {
  caseId: string;
  clockVersion: number;
  kind: 'warning' | 'overdue';
}

/** BullMQ ids cannot contain ':'; case id + clock version, so a reschedule never duplicates and stale ids are known. */
export const slaJobId = (kind: SlaJob['kind'], caseId: string, clockVersion: number) =>
  `${kind}-${caseId}-v${clockVersion}`;

/** The producer side of the service's BullMQ queues (workers live in CaseWorkers). */
@Injectable()
export class CaseQueues implements OnApplicationShutdown {
  readonly connection: Redis;
  readonly sla: Queue<SlaJob>;
  readonly notify: Queue<Notification>;

  constructor(@Inject(CASE_CONFIG) readonly config: Config) {
    this.connection = createRedis(config.REDIS_URL, 'case-queues');
    this.sla = new Queue<SlaJob>(this.name(SLA_QUEUE), { connection: this.connection });
    this.notify = new Queue<Notification>(this.name(NOTIFY_QUEUE), { connection: this.connection });
  }

  name(queue: string): string {
    return `${this.config.queuePrefix}${queue}`;
  }

  /**
   * Schedules the 80 % warning and the overdue mark of one clock version. Delays are scaled so demos and tests
   * can compress working days into seconds. Workers check the version, so a job of a stale clock does nothing.
   */
  async scheduleSla(caseId: string, clockVersion: number, warnAt: Date | null, dueAt: Date, now: Date): Promise<void> {
    const delay = (at: Date) => Math.max(0, Math.round((at.getTime() - now.getTime()) / this.config.SLA_TIME_SCALE));
    const opts = {
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    };
    if (warnAt) {
      await this.sla.add(
        'warning',
        { caseId, clockVersion, kind: 'warning' },
        { ...opts, jobId: slaJobId('warning', caseId, clockVersion), delay: delay(warnAt) },
      );
    }
    await this.sla.add(
      'overdue',
      { caseId, clockVersion, kind: 'overdue' },
      { ...opts, jobId: slaJobId('overdue', caseId, clockVersion), delay: delay(dueAt) },
    );
  }

  /** Removes a clock version's jobs (a pause, or the case is closed). */
  async cancelSla(caseId: string, clockVersion: number): Promise<void> {
    await Promise.all((['warning', 'overdue'] as const).map((k) => this.sla.remove(slaJobId(k, caseId, clockVersion))));
  }

  async enqueueNotification(n: Notification): Promise<void> {
    await this.notify.add('notify', n, {
      jobId: n.idempotencyKey,
      attempts: this.config.NOTIFY_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.config.NOTIFY_BACKOFF_MS },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sla.close();
    await this.notify.close();
    await this.connection.quit().catch(() => undefined);
  }
}
