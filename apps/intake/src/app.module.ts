import { kafkaSasl } from '@hoso/config';
import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { platformModules } from '@hoso/nest-kit';
import { AttachmentsModule } from './attachments/attachments.module';
import { CatalogModule } from './catalog/catalog.module';
import { CLOCK, systemClock, type Clock } from './clock';
import type { Config } from './config';
import { DossiersModule } from './dossiers/dossiers.module';
import { APP_LOGGER } from './logger.token';
import { INTAKE_MIGRATIONS } from './migrations';
import { SeedModule } from './seed/seed.module';

export interface AppOverrides {
  clock?: Clock;
}

@Global()
@Module({})
class CoreModule {
  static forRoot(logger: Logger, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_LOGGER, useValue: logger },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [APP_LOGGER, CLOCK],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(logger, overrides.clock ?? systemClock),
        ...platformModules({
          service: 'intake',
          logger,
          auth: { jwks: config.AUTH_JWKS_URL },
          database: {
            url: config.databaseUrl,
            devMode: config.HOSO_DEV_MODE,
            migrationUrl: config.databaseMigrationUrl,
            migrations: INTAKE_MIGRATIONS,
            migrate: config.MIGRATE_ON_START,
          },
          kafka: {
            brokers: config.KAFKA_BROKERS,
            sasl: kafkaSasl(config, 'intake'),
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            groupId: config.KAFKA_GROUP_ID,
            fetch: { minBytes: config.KAFKA_FETCH_MIN_BYTES, maxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS },
            session: { timeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, heartbeatMs: config.KAFKA_HEARTBEAT_INTERVAL_MS },
          },
          redisUrl: config.REDIS_URL,
        }),
        ...(config.SEED_ON_START ? [SeedModule] : []),
        CatalogModule,
        AttachmentsModule.forRoot(config),
        DossiersModule.forRoot({ jwksUrl: config.AUTH_JWKS_URL, receiptBlockSize: config.RECEIPT_BLOCK_SIZE }),
      ],
    };
  }
}

/** The application as a module class (what createServiceApp/runService take). */
export function intakeRootModule(config: Config, logger: Logger, overrides: AppOverrides = {}): Type {
  @Module({ imports: [AppModule.forRoot(config, logger, overrides)] })
  class IntakeRootModule {}
  return IntakeRootModule;
}
