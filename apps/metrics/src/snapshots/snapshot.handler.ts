import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { OutboxEntry } from '@hoso/messaging';
import { MessagingService } from '@hoso/messaging';
import type { Catalog, MetricsCompletionRateV1 } from '@hoso/contracts';
import { recordAudit, type AuditEntry } from '@hoso/nest-kit';
import { vnMonthOf } from '../rates/domain/period';
import { queryRates, type GroupBy, type RateRow } from '../rates/rates.query';
import { CLOCK, ROOT_LOGGER, type Clock } from '../tokens';

/** Snapshot dimensions of metrics.completion-rate.v1 and the groupBy that computes each. */
const dimensions = [
  ['national', 'national'],
  ['province', 'province'],
  ['agency', 'agency'],
  ['procedure', 'procedure'],
] as const satisfies readonly (readonly [MetricsCompletionRateV1['dimension'], GroupBy])[];

export interface SnapshotReport {
  published: number;
  period: { from: string; to: string };
  snapshotAt: string;
}

/** Builds the snapshot payload of one group: the contract's counts and rates, plus our other rates (additive). */
export function snapshotPayload(
  dimension: MetricsCompletionRateV1['dimension'],
  row: RateRow,
  period: { from: string; to: string },
  snapshotAt: string,
): MetricsCompletionRateV1 {
  const c = row.counts;
  return {
    dimension,
    key: row.key,
    period,
    counts: {
      submitted: c.submitted,
      submittedOnline: c.submittedOnline,
      completed: c.completed,
      completedOnTime: c.completedOnTime,
      completedFullyOnline: c.endToEnd,
      withFee: c.withFee,
      paidOnline: c.paidOnline,
      received: c.received,
      receivedCompleted: c.receivedCompleted,
      digitised: c.digitised,
      rated: c.rated,
      satisfied: c.satisfied,
      overdue: c.overdue,
    },
    rates: { ...row.rates },
    snapshotAt,
  };
}

/** Publishes one snapshot per dimension key for the current Vietnam month, plus national, through the outbox. */
@Injectable()
export class PublishSnapshots {
  constructor(
    private readonly db: DataSource,
    private readonly messaging: MessagingService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * `operator`: who asked for this publish. The schedule's runs have none and are not audited: they are the
   * service's routine, decided by no one, while an operator's publish is a decision to put figures out on demand.
   */
  async run(correlationId: string, operator?: NonNullable<AuditEntry['actor']>): Promise<SnapshotReport> {
    const now = this.clock.now();
    const month = vnMonthOf(now);
    const period = { from: month.from, to: month.to };
    const snapshotAt = now.toISOString();
    const entries: OutboxEntry<Catalog, 'metrics.completion-rate.v1'>[] = [];
    // Read and write in one transaction: the snapshot is one consistent view of the facts.
    await this.messaging.transaction(async (m) => {
      for (const [dimension, groupBy] of dimensions) {
        const rows = await queryRates(m, { groupBy, range: { from: month.fromDay, to: month.toDay }, now });
        for (const row of rows) {
          entries.push({
            topic: 'metrics.completion-rate.v1',
            payload: snapshotPayload(dimension, row, period, snapshotAt),
            meta: { dossierId: null, correlationId },
          });
        }
      }
      await this.messaging.outbox.addMany(m, entries);
      // With the snapshots it publishes and last in their transaction: a publish that rolls back leaves no record,
      // and the trail's head lock is held only until the commit.
      if (operator) {
        await recordAudit(
          m,
          this.logger,
          {
            action: 'snapshots.publish',
            outcome: 'allowed',
            actor: { sub: operator.sub, role: operator.role },
            resource: `snapshots:${month.fromDay.slice(0, 7)}`,
            correlationId,
          },
          { published: entries.length, period, snapshotAt },
        );
      }
    });
    return { published: entries.length, period, snapshotAt };
  }
}
