import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DatabaseModule, HealthModule, loggingModule, MetricsModule } from '@hoso/nest-kit';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CallbackSender } from './callbacks/callback-sender';
import { CheckoutController } from './checkout/checkout.http.controller';
import type { Config } from './config';
import { LedgerController } from './ledger/ledger.http.controller';
import { GATEWAY_MIGRATIONS } from './migrations';
import { PublicUrl } from './public-url';
import { RefundFaults } from './refunds/refund-faults';
import { RefundsController } from './refunds/refunds.http.controller';
import { SessionsController } from './sessions/sessions.http.controller';
import { GATEWAY_CONFIG } from './tokens';

/** The payment-gateway simulator: no Kafka (it is outside hoso), its own database, API-key auth. */
@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggingModule(logger),
        MetricsModule.forRoot('payment-gateway'),
        DatabaseModule.forRoot({
          url: config.databaseUrl,
          migrationUrl: config.databaseMigrationUrl,
          applicationName: 'payment-gateway',
          migrations: GATEWAY_MIGRATIONS,
          migrate: config.MIGRATE_ON_START,
        }),
        HealthModule.forRoot({
          inject: [DataSource],
          useFactory: (ds: DataSource) => ({ database: () => ds.query('SELECT 1') }),
        }),
      ],
      controllers: [SessionsController, CheckoutController, LedgerController, RefundsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        PublicUrl,
        CallbackSender,
        RefundFaults,
      ],
    };
  }
}

/** createServiceApp takes a module class; this wraps the configured dynamic module in one. */
export function rootModule(config: Config, logger: Logger): Type {
  @Module({ imports: [AppModule.forRoot(config, logger)] })
  class PaymentGatewayRoot {}
  return PaymentGatewayRoot;
}
