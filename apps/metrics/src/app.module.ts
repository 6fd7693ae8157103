import { kafkaSasl } from '@hoso/config';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { platformModules } from '@hoso/nest-kit';
import type { Config } from './config';
import { METRICS_MIGRATIONS } from './migrations';
import { DeadLetters } from './operations/dead-letters';
import { OperationsController } from './operations/operations.http.controller';
import { OperationsStream } from './operations/operations-stream';
import { QueueReadouts } from './operations/queue-readout';
import { TopicSampler } from './operations/topic-sampler';
import { ProjectionConsumer } from './projection/projection.consumer';
import { RatesController } from './rates/rates.http.controller';
import { PublishSnapshots } from './snapshots/snapshot.handler';
import { SnapshotJobs } from './snapshots/snapshot-jobs';
import { SnapshotsController } from './snapshots/snapshots.http.controller';
import { CLOCK, METRICS_CONFIG, ROOT_LOGGER, systemClock, type Clock } from './tokens';

export interface AppOverrides {
  clock?: Clock;
}

/** Config, clock and root logger, visible to every module. */
@Module({})
class MetricsCoreModule {
  static forRoot(config: Config, logger: Logger, clock: Clock): DynamicModule {
    const providers = [
      { provide: METRICS_CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
      { provide: ROOT_LOGGER, useValue: logger },
    ];
    return { module: MetricsCoreModule, global: true, providers, exports: providers };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MetricsCoreModule.forRoot(config, logger, overrides.clock ?? systemClock),
        ...platformModules({
          service: 'metrics',
          logger,
          auth: { jwks: config.AUTH_JWKS_URL },
          database: {
            url: config.databaseUrl,
            devMode: config.HOSO_DEV_MODE,
            migrationUrl: config.databaseMigrationUrl,
            migrations: METRICS_MIGRATIONS,
            migrate: config.MIGRATE_ON_START,
          },
          kafka: {
            brokers: config.KAFKA_BROKERS,
            sasl: kafkaSasl(config, 'metrics'),
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            groupId: config.KAFKA_GROUP_ID,
            fetch: { minBytes: config.KAFKA_FETCH_MIN_BYTES, maxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS },
            session: { timeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatMs: config.KAFKA_HEARTBEAT_INTERVAL_MS },
            // The projection is rebuilt from Kafka: its flushes need not wait for fsync, and offsets are committed
            // only once their WAL is on disk, so a database crash loses nothing that is not read again.
            asyncCommit: true,
          },
          redisUrl: config.REDIS_URL,
        }),
      ],
      controllers: [
        // Kafka event handlers (@EventPattern), served by the messaging transport.
        ProjectionConsumer,
        RatesController,
        SnapshotsController,
        OperationsController,
      ],
      providers: [PublishSnapshots, SnapshotJobs, TopicSampler, DeadLetters, QueueReadouts, OperationsStream],
    };
  }
}
