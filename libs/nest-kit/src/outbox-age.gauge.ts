import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { OUTBOX_TABLE } from '@hoso/messaging';
import { MetricsService } from './metrics';

/**
 * Seconds since the oldest unsent outbox row was written (0 when the relay has sent everything). The lowest unsent
 * id is one probe of the relay's partial index `messaging_outbox_unsent`, whatever the table's size, so a scrape
 * costs the same with a million sent rows kept for retention.
 */
export async function oldestUnsentOutboxAgeSeconds(ds: DataSource): Promise<number> {
  const [row] = await ds.query<{ age: string | number | null }[]>(
    `SELECT EXTRACT(EPOCH FROM now() - created_at) AS age FROM ${OUTBOX_TABLE} WHERE sent_at IS NULL ORDER BY id LIMIT 1`,
  );
  // created_at is its transaction's start, which a clock step back on the database host can put after now().
  return row?.age == null ? 0 : Math.max(0, Number(row.age));
}

/**
 * `messaging_outbox_oldest_unsent_age_seconds`: a growing age means events committed with their business change are
 * not reaching Kafka (the relay is stuck, or the broker refuses it), which no consumer-side metric shows.
 */
@Injectable()
export class OutboxAgeGauge implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const ds = this.ds;
    new Gauge({
      name: 'messaging_outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet published to Kafka (0 when none waits)',
      registers: [this.metrics.registry],
      async collect() {
        this.set(await oldestUnsentOutboxAgeSeconds(ds));
      },
    });
  }
}

@Module({ providers: [OutboxAgeGauge] })
export class OutboxAgeGaugeModule {}
