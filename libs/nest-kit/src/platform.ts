import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DataSource, type MixedList } from 'typeorm';
import { ConfigError, type KafkaSasl } from '@hoso/config';
import { AuthModule, type VerifierOptions } from '@hoso/auth';
import { MESSAGING_MIGRATIONS, MessagingModule, MessagingService } from '@hoso/messaging';
import { AuditTrailAppendOnlyPrivileges1766700000000, AuditTrailTables1764900000000 } from './audit-trail';
import { AuditTrailModule } from './audit-trail.module';
import { DatabaseModule } from './database';
import { HealthModule } from './health';
import { loggingModule } from './logging';
import { MetricsModule, MetricsService } from './metrics';
import { OutboxAgeGaugeModule } from './outbox-age.gauge';
import { createRedis } from './redis';
import { TimerKeeperModule } from './timers';

/** The service's shared ioredis client (BullMQ queues, rate limits); checked by readiness. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

@Module({})
class RedisModule {
  static forRoot(url: string, name: string): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS_CLIENT, useFactory: () => createRedis(url, name) }, RedisCloser],
      exports: [REDIS_CLIENT],
    };
  }
}

/**
 * The tables every service database has before its own: the outbox and inbox, and the audit trail. Services spread
 * it first in their migration list, so a new shared migration reaches all of them without an edit in each.
 */
export const PLATFORM_MIGRATIONS = [
  ...MESSAGING_MIGRATIONS,
  AuditTrailTables1764900000000,
  AuditTrailAppendOnlyPrivileges1766700000000,
];

export interface PlatformOptions {
  service: string;
  logger: Logger;
  auth: VerifierOptions;
  database: {
    url: string;
    /** The database's owner role for migrations (see DatabaseModuleOptions); default: `url`. */
    migrationUrl?: string | undefined;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    migrations: MixedList<Function | string>;
    migrate?: boolean;
    /**
     * HOSO_DEV_MODE. Without it the pool must not be a superuser nor a role that may change the schema (the service's
     * runtime role of deploy/local/db-roles.ts); with it, any role will do (the local server's `postgres`).
     */
    devMode: boolean;
  };
  kafka: {
    brokers: string[];
    /** The service's Kafka user (`kafkaSasl` of @hoso/config). */
    sasl: KafkaSasl;
    topicPrefix: string;
    groupId: string;
    /** The consumer's fetch (KAFKA_FETCH_MIN_BYTES, KAFKA_FETCH_MAX_WAIT_MS); default: 1 byte, 500 ms. */
    fetch?: { minBytes: number; maxWaitMs: number };
    /** The group session (KAFKA_SESSION_TIMEOUT_MS, KAFKA_HEARTBEAT_INTERVAL_MS); default: 30 s, 3 s. */
    session?: { timeoutMs: number; heartbeatMs: number };
    /** Only for a consumer whose state is rebuilt from Kafka (see ConsumerOptions.asyncCommit). */
    asyncCommit?: boolean;
    /** This process among the group's members (ConsumerOptions.instance); default: `processInstance(service)`. */
    instance?: string;
  };
  redisUrl: string;
}

/**
 * The name of this process among its consumer group's members: HOSO_INSTANCE when set, else the host and the port
 * it serves (what a restarted process, or a restarted container of the same pod, keeps, and what two processes on
 * one host cannot share).
 */
export function processInstance(service: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['HOSO_INSTANCE'] ?? `${hostname()}:${env['PORT'] ?? service}`;
}

/**
 * Everything a hoso service has before its first feature: JSON logs, metrics, the auth guard, its own
 * migrated database, Kafka (outbox relay + idempotent consumer), Redis, readiness over all three, and the
 * operators' view of its audit trail.
 * One place, so every service is wired the same way.
 */
export function platformModules(o: PlatformOptions): DynamicModule[] {
  return [
    loggingModule(o.logger),
    MetricsModule.forRoot(o.service),
    AuthModule.forRoot(o.auth),
    DatabaseModule.forRoot({
      url: o.database.url,
      ...(o.database.migrationUrl ? { migrationUrl: o.database.migrationUrl } : {}),
      applicationName: o.service,
      migrations: o.database.migrations,
      migrate: o.database.migrate ?? true,
      runtimeRole: {
        required: !o.database.devMode,
        variable: `${o.service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`,
      },
    }),
    RedisModule.forRoot(o.redisUrl, o.service),
    TimerKeeperModule.forRoot({
      redisToken: REDIS_CLIENT,
      logger: o.logger,
      options: { service: o.service, namespace: o.kafka.topicPrefix },
    }),
    MessagingModule.forRootAsync({
      inject: [DataSource, MetricsService],
      useFactory: (ds: DataSource, metrics: MetricsService) => ({
        service: o.service,
        brokers: o.kafka.brokers,
        sasl: o.kafka.sasl,
        dataSource: ds,
        logger: o.logger,
        topicPrefix: o.kafka.topicPrefix,
        consumer: {
          groupId: o.kafka.groupId,
          instance: o.kafka.instance ?? processInstance(o.service),
          observer: metrics.consumerObserver,
          ...(o.kafka.fetch ? { minBytes: o.kafka.fetch.minBytes, maxWaitTimeMs: o.kafka.fetch.maxWaitMs } : {}),
          ...(o.kafka.session ? sessionOptions(o.kafka.session) : {}),
          ...(o.kafka.asyncCommit ? { asyncCommit: true } : {}),
        },
      }),
    }),
    HealthModule.forRoot({
      inject: [DataSource, MessagingService, REDIS_CLIENT],
      useFactory: (ds: DataSource, m: MessagingService, redis: Redis) => ({
        database: () => ds.query('SELECT 1'),
        kafka: () => m.ping(),
        // A consuming service whose consumer stopped is not ready, even with the broker answering.
        consumer: () => m.consumerReady(),
        redis: () => redis.ping(),
      }),
    }),
    { module: OutboxAgeGaugeModule },
    // GET /audit-trail for operators: every service's trail (PLATFORM_MIGRATIONS) is readable the same way.
    { module: AuditTrailModule },
  ];
}

/**
 * The consumer's group session, refused when the heartbeat could not reach the broker three times within one
 * session: a live member would then be taken for dead whenever one heartbeat is late.
 */
export function sessionOptions(session: { timeoutMs: number; heartbeatMs: number }): {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
} {
  if (session.heartbeatMs * 3 > session.timeoutMs) {
    throw new ConfigError([
      `KAFKA_HEARTBEAT_INTERVAL_MS (${session.heartbeatMs}) must be at most a third of KAFKA_SESSION_TIMEOUT_MS ` +
        `(${session.timeoutMs})`,
    ]);
  }
  return { sessionTimeoutMs: session.timeoutMs, heartbeatIntervalMs: session.heartbeatMs };
}
