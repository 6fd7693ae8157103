import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MetricsService } from '@hoso/nest-kit';

/** `intake_outbox_unsent`: events written but not yet published; a growing value means the relay is stuck. */
@Injectable()
export class OutboxBacklogGauge implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge('intake_outbox_unsent', 'Outbox rows not yet published to Kafka', async () => {
      const [row] = await this.ds.query<{ n: string }[]>(
        'SELECT count(*) AS n FROM messaging_outbox WHERE sent_at IS NULL',
      );
      return Number(row?.n ?? 0);
    });
  }
}
