import { kafkaSasl } from '@hoso/config';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { platformModules } from '@hoso/nest-kit';
import { CitizenSignInHandler } from './auth/citizen/citizen-sign-in.handler';
import { CitizenSignInHttpController } from './auth/citizen/citizen-sign-in.http.controller';
import { DevOtpInboxHttpController } from './auth/citizen/dev-otp-inbox.http.controller';
import { CitizenSignInLimits } from './auth/citizen/sign-in-limits';
import { DevFileOtpDelivery, OTP_DELIVERY, type OtpDelivery } from './auth/citizen/otp-delivery';
import { HttpSmsOtpDelivery } from './auth/citizen/sms-otp-delivery';
import { SignInThrottle } from './auth/staff/signin-throttle';
import { StaffAccountsService } from './auth/staff/staff-accounts.service';
import { StaffHttpController } from './auth/staff/staff.http.controller';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { CoreModule } from './core';
import { IDENTITY_MIGRATIONS } from './migrations';
import { PrefillHttpController } from './prefill/prefill.http.controller';
import { CitizensHttpController } from './registry/citizens.http.controller';
import { RegistrySeederService } from './registry/registry-seeder.service';
import { SessionService } from './tokens/session.service';
import { SigningKeyStore } from './tokens/signing-key.store';
import { TokenSigner } from './tokens/token-signer.service';
import { TokensHttpController } from './tokens/tokens.http.controller';
import { DossierSubmittedConsumer } from './verification/dossier-submitted.consumer';

export interface AppOverrides {
  /** Tests move time with their own clock. */
  clock?: Clock;
  /** Another channel for one-time codes (VNeID push…) than the configured one. */
  otpDelivery?: OtpDelivery;
}

/** The configured channel: the SMS gateway, or in development mode the file inbox (config refuses anything else). */
function otpDeliveryOf(config: Config, logger: Logger): OtpDelivery {
  const setting = config.otpDelivery;
  switch (setting.kind) {
    case 'sms':
      return new HttpSmsOtpDelivery(setting, logger);
    case 'dev-file':
      return new DevFileOtpDelivery(setting.dir, logger);
  }
}

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    // The identity service verifies its own tokens with its own keys, held in memory (no HTTP round trip to itself).
    const keys = new SigningKeyStore();
    const delivery = overrides.otpDelivery ?? otpDeliveryOf(config, logger);
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger, overrides.clock ?? systemClock),
        ...platformModules({
          service: 'identity',
          logger,
          auth: { jwks: keys.getKey },
          database: {
            url: config.databaseUrl,
            devMode: config.HOSO_DEV_MODE,
            migrationUrl: config.databaseMigrationUrl,
            migrations: IDENTITY_MIGRATIONS,
            migrate: config.MIGRATE_ON_START,
          },
          kafka: {
            brokers: config.KAFKA_BROKERS,
            sasl: kafkaSasl(config, 'identity'),
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
        DossierSubmittedConsumer,
        TokensHttpController,
        CitizenSignInHttpController,
        StaffHttpController,
        CitizensHttpController,
        PrefillHttpController,
        // The development OTP inbox exists only in development mode with the file delivery: otherwise there is not
        // even a route answering 404.
        ...(config.devMode && delivery instanceof DevFileOtpDelivery ? [DevOtpInboxHttpController] : []),
      ],
      providers: [
        {
          provide: SigningKeyStore,
          inject: [DataSource],
          useFactory: async (ds: DataSource) => {
            await keys.init(ds, { current: config.signingKeyKek, previous: config.signingKeyKekPrevious });
            return keys;
          },
        },
        { provide: OTP_DELIVERY, useValue: delivery },
        RegistrySeederService,
        TokenSigner,
        SessionService,
        CitizenSignInHandler,
        CitizenSignInLimits,
        SignInThrottle,
        StaffAccountsService,
      ],
    };
  }
}

/**
 * The application's root as a class: `createServiceApp` and `runService` take a module class, and a dynamic module
 * imported by a class module is the way to give it its configuration.
 */
export function identityApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Type {
  @Module({ imports: [AppModule.forRoot(config, logger, overrides)] })
  class IdentityApp {}
  return IdentityApp;
}
