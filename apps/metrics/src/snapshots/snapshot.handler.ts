import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OutboxEntry } from '@hoso/messaging';
import { MessagingService } from '@hoso/messaging';
import type { Catalog, MetricsCompletionRateV1 } from '@hoso/contracts';
import { vnMonthOf } from '../rates/domain/period';
import { queryRates, type GroupBy, type RateRow } from '../rates/rates.query';
import { CLOCK, type Clock } from '../tokens';

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
  ) {}

  async run(correlationId: string): Promise<SnapshotReport> {
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
    });
    return { published: entries.length, period, snapshotAt };
  }
}
