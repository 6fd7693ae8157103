import { kafkaSasl } from '@hoso/config';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { platformModules } from '@hoso/nest-kit';
import type { WorkingCalendar } from './calendar/domain/working-calendar';
import { loadCalendar } from './calendar/holidays';
import { CaseAccess } from './cases/case-access';
import { CaseMoves } from './cases/case-moves';
import { CasesController } from './cases/cases.http.controller';
import type { Config } from './config';
import { DossierEventsConsumer } from './intake/dossier-events.consumer';
import { CaseQueues } from './jobs/case-queues';
import { CaseTimers } from './jobs/case-timers';
import { CaseWorkers } from './jobs/case-workers';
import { CommittedEffects } from './jobs/committed-effects';
import { CASE_MIGRATIONS } from './migrations';
import { MailboxAdapter, NOTIFICATION_ADAPTER, type NotificationAdapter } from './notifications/notification.adapter';
import { QueuesController } from './queues/queues.http.controller';
import { LocalResultStorage, RESULT_STORAGE } from './results/result-storage';
import { ResultSigner } from './results/result-signing';
import { ResultsController } from './results/results.http.controller';
import { VerifyController } from './results/verify.http.controller';
import { TimelineController } from './timeline/timeline.http.controller';
import { CALENDAR, CASE_CONFIG, CLOCK, ROOT_LOGGER, systemClock, type Clock } from './tokens';

export interface AppOverrides {
  clock?: Clock;
  calendar?: WorkingCalendar;
  /** Wraps the development adapter (tests inject failures). */
  notificationAdapter?: (dev: NotificationAdapter) => NotificationAdapter;
}

@Module({})
class CaseCoreModule {
  static forRoot(config: Config, logger: Logger, o: AppOverrides): DynamicModule {
    const providers = [
      { provide: CASE_CONFIG, useValue: config },
      { provide: CLOCK, useValue: o.clock ?? systemClock },
      { provide: ROOT_LOGGER, useValue: logger },
      // Holidays are data, read once at start-up: a bad holiday file stops the service instead of wrong due dates.
      { provide: CALENDAR, useValue: o.calendar ?? loadCalendar() },
      CaseQueues,
    ];
    return { module: CaseCoreModule, global: true, providers, exports: providers };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CaseCoreModule.forRoot(config, logger, overrides),
        ...platformModules({
          service: 'case-tracking',
          logger,
          auth: { jwks: config.AUTH_JWKS_URL },
          database: {
            url: config.databaseUrl,
            devMode: config.HOSO_DEV_MODE,
            migrationUrl: config.databaseMigrationUrl,
            migrations: CASE_MIGRATIONS,
            migrate: config.MIGRATE_ON_START,
          },
          kafka: {
            brokers: config.KAFKA_BROKERS,
            sasl: kafkaSasl(config, 'case-tracking'),
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            groupId: config.KAFKA_GROUP_ID,
            fetch: { minBytes: config.KAFKA_FETCH_MIN_BYTES, maxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS },
            session: { timeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatMs: config.KAFKA_HEARTBEAT_INTERVAL_MS },
          },
          redisUrl: config.REDIS_URL,
        }),
      ],
      controllers: [
        // Kafka event handlers (@EventPattern), served by the messaging transport.
        DossierEventsConsumer,
        CasesController,
        ResultsController,
        VerifyController,
        QueuesController,
        TimelineController,
      ],
      providers: [
        CaseAccess,
        CaseMoves,
        CaseWorkers,
        CaseTimers,
        CommittedEffects,
        ResultSigner,
        {
          provide: NOTIFICATION_ADAPTER,
          inject: [DataSource],
          useFactory: (ds: DataSource) => {
            const dev = new MailboxAdapter(ds);
            return overrides.notificationAdapter ? overrides.notificationAdapter(dev) : dev;
          },
        },
        { provide: RESULT_STORAGE, useValue: new LocalResultStorage(config.RESULT_DIR) },
      ],
    };
  }
}
