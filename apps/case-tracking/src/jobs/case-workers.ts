import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { createRedis, MetricsService } from '@hoso/nest-kit';
import { appendHistory, loadCase } from '../cases/case.store';
import {
  NOTIFICATION_ADAPTER,
  type Notification,
  type NotificationAdapter,
} from '../notifications/notification.adapter';
import { CLOCK, type Clock } from '../tokens';
import { CaseQueues, NOTIFY_QUEUE, SLA_QUEUE, type SlaJob } from './case-queues';

const CLOCK_RUNNING = ['RECEIVED', 'TRANSFERRED', 'IN_PROCESS', 'APPROVED', 'REJECTED', 'RESULT_ISSUED'];

/** Runs SLA warnings / overdue marks and notification deliveries; closed before the database on shutdown. */
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
    const notify = new Worker<Notification>(
      this.queues.name(NOTIFY_QUEUE),
      (job: Job<Notification>) => this.adapter.send(job.data),
      { connection: createRedis(url, 'case-notify-worker'), concurrency: 5 },
    );
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

  /** Flags the case if the job's clock version is still the case's (a pause or resume makes older jobs no-ops). */
  private async runSla(job: Job<SlaJob>): Promise<string> {
    const { caseId, clockVersion, kind } = job.data;
    return this.ds.transaction(async (m) => {
      const rows: unknown[] = await m.query(`SELECT id FROM cases WHERE id = $1 FOR UPDATE`, [caseId]);
      const c = rows.length ? await loadCase(m, caseId) : undefined;
      if (!c) {
        // Added by a consumer transaction that has not committed yet (retry) or that rolled back (give up).
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) throw new UnrecoverableError(`no case ${caseId}`);
        throw new Error(`case ${caseId} not visible yet`);
      }
      if (c.clock_version !== clockVersion || !CLOCK_RUNNING.includes(c.status)) return 'stale';
      if (kind === 'overdue') {
        if (c.overdue) return 'already';
        // Overdue cases go to the head of their agency's queue (the queue orders by this flag first).
        await m.query(`UPDATE cases SET overdue = true, updated_at = now() WHERE id = $1`, [caseId]);
      }
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

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        await w.close();
        await (await w.client).quit().catch(() => undefined);
      }),
    );
  }
}
