import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { createRedis, MetricsService } from '@hoso/nest-kit';
import { appendHistory, loadCase } from '../cases/case.store';
import { CLOCK_RUNNING } from '../cases/domain/case';
import {
  NOTIFICATION_ADAPTER,
  type Notification,
  type NotificationAdapter,
} from '../notifications/notification.adapter';
import { CLOCK, type Clock } from '../tokens';
import { CaseQueues, NOTIFY_QUEUE, SLA_QUEUE, type NotifyJob, type SlaJob } from './case-queues';

interface NotificationRow {
  id: string;
  kind: 'CASE_RECEIVED' | 'SUPPLEMENT_REQUESTED' | 'RESULT_ISSUED';
  idempotency_key: string;
  recipient_personal_id: string;
  dossier_id: string;
  channel: 'EMAIL' | 'SMS';
  subject: string;
  body: string;
  sent_at: Date | null;
  failed_at: Date | null;
}

function toNotification(n: NotificationRow): Notification {
  return {
    idempotencyKey: n.idempotency_key,
    recipientPersonalId: n.recipient_personal_id,
    dossierId: n.dossier_id,
    channel: n.channel,
    kind: n.kind,
    subject: n.subject,
    body: n.body,
  };
}

/**
 * Runs SLA warnings / overdue marks and notification deliveries; closed before the database on shutdown. Both
 * re-read the committed state, so a job run again (re-added by the timer rebuild after Redis lost it, or after it
 * completed) changes nothing more.
 */
@Injectable()
export class CaseWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private workers: Worker[] = [];
  private readonly slaFlags: Counter<'kind'>;

  constructor(
    private readonly queues: CaseQueues,
    private readonly ds: DataSource,
    @Inject(NOTIFICATION_ADAPTER) private readonly adapter: NotificationAdapter,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly log: PinoLogger,
    metrics: MetricsService,
  ) {
    this.log.setContext('CaseWorkers');
    this.slaFlags = new Counter({
      name: 'case_sla_flags_total',
      help: 'SLA warnings and overdue marks set on cases',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    const url = this.queues.config.REDIS_URL;
    const sla = new Worker<SlaJob>(this.queues.name(SLA_QUEUE), (job: Job<SlaJob>) => this.runSla(job), {
      connection: createRedis(url, 'case-sla-worker'),
      concurrency: 5,
    });
    const notify = new Worker<NotifyJob>(this.queues.name(NOTIFY_QUEUE), (job: Job<NotifyJob>) => this.notify(job), {
      connection: createRedis(url, 'case-notify-worker'),
      concurrency: 5,
    });
    for (const w of [sla, notify]) {
      w.on('failed', (job, err) => {
        this.log.warn({ queue: w.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed');
      });
      w.on('error', (err) => {
        this.log.error({ queue: w.name, err }, 'worker error');
      });
    }
    this.workers = [sla, notify];
  }

  /**
   * Flags the case if the job's clock version is still the case's (a pause or resume makes older jobs no-ops), once
   * per clock version: the warning is marked with its version, the overdue flag stays set.
   */
  private async runSla(job: Job<SlaJob>): Promise<string> {
    const { caseId, clockVersion, kind } = job.data;
    return this.ds.transaction(async (m) => {
      // The lock serialises two runs of one case's jobs (a re-added copy), so the check below sees the first's mark.
      const rows: unknown[] = await m.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [caseId]);
      const c = rows.length ? await loadCase(m, caseId) : undefined;
      if (!c) {
        // Jobs are added only after the case committed, and cases are never deleted: nothing to flag.
        this.log.warn({ caseId, kind, jobId: job.id }, 'SLA job of a case that does not exist ignored');
        return 'no-case';
      }
      if (c.clock_version !== clockVersion || !CLOCK_RUNNING.includes(c.status)) return 'stale';
      // Once overdue, a warning says nothing new (a rebuild after a long outage can run both jobs at once).
      if (c.overdue) return 'already';
      if (kind === 'warning' && c.sla_warned_version === clockVersion) return 'already';
      // Overdue cases go to the head of their agency's queue (the queue orders by this flag first).
      if (kind === 'overdue')
        await m.query(`UPDATE cases SET overdue = true, updated_at = now() WHERE id = $1`, [caseId]);
      else await m.query(`UPDATE cases SET sla_warned_version = $2 WHERE id = $1`, [caseId, clockVersion]);
      await appendHistory(m, {
        caseId,
        dossierId: c.dossier_id,
        kind: kind === 'overdue' ? 'OVERDUE' : 'SLA_WARNING',
        from: c.status,
        to: c.status,
        actor: { kind: 'system', id: 'sla' },
        reason: kind === 'overdue' ? 'due date passed' : '80% of the allowed time used',
        at: this.clock.now(),
        dueAt: c.due_at,
        fromAgencyCode: c.agency_code,
        toAgencyCode: null,
      });
      this.slaFlags.inc({ kind });
      this.log.info({ caseId, kind, dueAt: c.due_at, agencyCode: c.agency_code }, `case ${kind}`);
      return kind;
    });
  }

  /**
   * Sends a committed notification row that is not sent yet, then marks it sent. No transaction is held while the
   * provider is called; a crash between the send and the mark sends again under the same idempotency key, which the
   * provider (and the development mailbox) de-duplicates.
   */
  private async notify(job: Job<NotifyJob>): Promise<string> {
    const key = job.data.idempotencyKey;
    const [n] = await this.ds.query<NotificationRow[]>(
      `SELECT n.* FROM case_notifications n JOIN cases c ON c.id = n.case_id WHERE n.idempotency_key = $1`,
      [key],
    );
    if (!n) {
      this.log.warn({ key, jobId: job.id }, 'notification job without a committed notification ignored');
      return 'no-row';
    }
    if (n.sent_at) return 'already-sent';
    if (n.failed_at) return 'given-up';
    try {
      await this.adapter.send(toNotification(n));
    } catch (err) {
      // The last attempt records the failure on the row: the rebuild leaves it, an operator can clear failed_at.
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await this.ds.query(`UPDATE case_notifications SET failed_at = now(), last_error = $2 WHERE id = $1`, [
          n.id,
          err instanceof Error ? err.message : String(err),
        ]);
      }
      throw err;
    }
    await this.ds.query(`UPDATE case_notifications SET sent_at = now() WHERE id = $1 AND sent_at IS NULL`, [n.id]);
    return 'sent';
  }

  /**
   * Delivers committed notifications at once instead of one job each: one read of their rows, the adapter's sends
   * (in bulk where it can), one mark of those sent. A notification this does not deliver goes to the jobs, with their
   * retries and backoff: a failed send is enqueued here (so is every key when the read or the mark fails), and a
   * crash before the mark is left to the timer rebuild, which enqueues every row not sent. A send repeated that way
   * carries the same idempotency key, which the provider de-duplicates.
   */
  async deliverNow(keys: readonly string[]): Promise<void> {
    if (!keys.length) return;
    let retry: readonly string[] = keys;
    try {
      const rows = await this.ds.query<NotificationRow[]>(
        `SELECT n.* FROM case_notifications n JOIN cases c ON c.id = n.case_id
          WHERE n.idempotency_key = ANY($1) AND n.sent_at IS NULL AND n.failed_at IS NULL ORDER BY n.id`,
        [keys],
      );
      const sent: NotificationRow[] = [];
      const failed: string[] = [];
      if (this.adapter.sendMany) {
        try {
          await this.adapter.sendMany(rows.map(toNotification));
          sent.push(...rows);
        } catch (err) {
          this.log.warn({ err, count: rows.length }, 'bulk notification send failed; each goes to a job');
          failed.push(...rows.map((r) => r.idempotency_key));
        }
      } else {
        const results = await Promise.allSettled(rows.map((r) => this.adapter.send(toNotification(r))));
        results.forEach((r, i) => {
          const row = rows[i] as NotificationRow;
          if (r.status === 'fulfilled') sent.push(row);
          else failed.push(row.idempotency_key);
        });
      }
      retry = failed;
      if (sent.length) {
        await this.ds.query(`UPDATE case_notifications SET sent_at = now() WHERE id = ANY($1) AND sent_at IS NULL`, [
          sent.map((r) => r.id),
        ]);
      }
    } catch (err) {
      this.log.warn({ err, count: keys.length }, 'notifications not delivered at once; each goes to a job');
    }
    if (retry.length) await this.queues.enqueueNotifications(retry);
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
