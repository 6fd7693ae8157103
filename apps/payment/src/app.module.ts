import { kafkaSasl } from '@hoso/config';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { platformModules } from '@hoso/nest-kit';
import type { Config } from './config';
import { DossierEventsConsumer } from './dossiers/dossier-events.consumer';
import { SettleFee } from './dossiers/settle-fee.handler';
import { ApplyGatewayResult } from './gateway/apply-gateway-result.handler';
import { GatewayCallbacksController } from './gateway/callbacks.http.controller';
import { GatewayClient } from './gateway/gateway.client';
import { RawCallbackBody } from './gateway/raw-body';
import { CompletePayment } from './intents/complete-payment';
import { ExpireIntent } from './intents/expire-intent.handler';
import { OpenIntent } from './intents/open-intent';
import { PaymentsController } from './intents/payments.http.controller';
import { RecordCashPayment } from './intents/record-cash-payment.handler';
import { PaymentQueues } from './jobs/payment-queues';
import { PaymentTimers } from './jobs/payment-timers';
import { PaymentWorkers } from './jobs/payment-workers';
import { Reconcile } from './reconciliation/reconcile.handler';
import { ReconciliationsController } from './reconciliation/reconciliations.http.controller';
import { RefundPayment } from './refunds/refund.handler';
import { RefundTriggersConsumer } from './refunds/refund-triggers.consumer';
import { PAYMENT_MIGRATIONS } from './migrations';
import { CLOCK, PAYMENT_CONFIG, ROOT_LOGGER, systemClock, type Clock } from './tokens';

export interface AppOverrides {
  clock?: Clock;
}

/** Config, clock, root logger and the BullMQ queues, visible to every module (health probes Redis through it). */
@Module({})
class PaymentCoreModule {
  static forRoot(config: Config, logger: Logger, clock: Clock): DynamicModule {
    const providers = [
      { provide: PAYMENT_CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
      { provide: ROOT_LOGGER, useValue: logger },
      PaymentQueues,
    ];
    return { module: PaymentCoreModule, global: true, providers, exports: providers };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PaymentCoreModule.forRoot(config, logger, overrides.clock ?? systemClock),
        ...platformModules({
          service: 'payment',
          logger,
          auth: { jwks: config.AUTH_JWKS_URL },
          database: {
            url: config.databaseUrl,
            devMode: config.HOSO_DEV_MODE,
            migrationUrl: config.databaseMigrationUrl,
            migrations: PAYMENT_MIGRATIONS,
            migrate: config.MIGRATE_ON_START,
          },
          kafka: {
            brokers: config.KAFKA_BROKERS,
            sasl: kafkaSasl(config, 'payment'),
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
        RefundTriggersConsumer,
        PaymentsController,
        GatewayCallbacksController,
        ReconciliationsController,
      ],
      providers: [
        RawCallbackBody,
        PaymentWorkers,
        PaymentTimers,
        GatewayClient,
        OpenIntent,
        SettleFee,
        CompletePayment,
        ApplyGatewayResult,
        RecordCashPayment,
        ExpireIntent,
        Reconcile,
        RefundPayment,
      ],
    };
  }
}

/** createServiceApp takes a module class; this wraps the configured dynamic module in one. */
export function rootModule(config: Config, logger: Logger, overrides: AppOverrides = {}): Type {
  @Module({ imports: [AppModule.forRoot(config, logger, overrides)] })
  class PaymentRoot {}
  return PaymentRoot;
}
