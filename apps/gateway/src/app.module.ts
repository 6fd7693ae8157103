import {
  Inject,
  Injectable,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { JwtVerifier } from '@hoso/auth';
import { HealthModule, loggingModule, MetricsModule, MetricsService } from '@hoso/nest-kit';
import { ApiGateway } from './api-gateway';
import type { Config } from './config';
import { DocsController } from './docs/docs.controller';
import { DocsService } from './docs/docs.service';
import { matchRoute } from './domain/route-table';
import { GatewayMetrics } from './gateway-metrics';
import { Portal } from './portal';
import { sendProblem } from './problem';
import { RateLimits } from './rate-limits';
import { ReadinessWatcher } from './readiness';
import { UpstreamPool } from './upstream-pool';
import { Upstreams } from './upstreams';

const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** The gateway's own Redis client (rate-limit counters; readiness). */
const LIMITER_REDIS = Symbol('LIMITER_REDIS');
/** Whether development-only routes are forwarded (HOSO_DEV_MODE). */
const DEV_MODE = Symbol('DEV_MODE');

const REDIS_READY_WAIT_MS = 5000;

/**
 * Commands fail at once while Redis is away (no offline queue, one retry, 1 s timeout), so a request never waits
 * on a reconnect: the rate limiter counts in memory meanwhile.
 */
async function createLimiterRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: 'gateway',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  let lastWarn = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - lastWarn < 30_000) return;
    lastWarn = Date.now();
    logger.warn({ err }, 'Redis connection error (rate limits count per process until it is back)');
  });
  // Start with shared counters when Redis is there; start anyway (degraded) when it is not.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      logger.warn(`Redis not ready after ${REDIS_READY_WAIT_MS} ms; starting with per-process rate limits`);
      resolve();
    }, REDIS_READY_WAIT_MS);
    if (redis.status === 'ready') resolve();
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

@Injectable()
class Closer implements OnApplicationShutdown {
  constructor(
    @Inject(LIMITER_REDIS) private readonly redis: Redis,
    @Inject(Upstreams) private readonly upstreams: Upstreams,
    @Inject(ReadinessWatcher) private readonly readiness: ReadinessWatcher,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.readiness.stop();
    this.upstreams.close();
    // QUIT needs a connection; without one, stop the reconnect loop instead.
    await this.redis.quit().catch(() => {
      this.redis.disconnect();
    });
  }
}

function isDevOnly(req: Request): boolean {
  const match = matchRoute(req.method, req.originalUrl);
  return match.kind === 'route' && match.rule.devOnly === true;
}

/** Sends each request where it belongs: the API, the portal, or on to Nest (health, metrics, API docs). */
@Injectable()
class EdgeMiddleware implements NestMiddleware {
  constructor(
    @Inject(ApiGateway) private readonly gateway: ApiGateway,
    @Inject(Portal) private readonly portal: Portal,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(DEV_MODE) private readonly devMode: boolean,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0] ?? '/';
    if (/^\/(health|metrics)(\/|$)/.test(path) || /^\/api\/docs(\/|$)/.test(path)) {
      next();
      return;
    }
    const correlationId = typeof req.id === 'string' ? req.id : '';
    if (path === '/api' || path.startsWith('/api/')) {
      if (!this.devMode && isDevOnly(req)) {
        // The same answer as a path the table does not know: outside development mode the route does not exist.
        sendProblem(res, 404, `no API endpoint ${req.method} ${path}`, correlationId);
        return;
      }
      this.gateway.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err, correlationId }, 'gateway failed');
        sendProblem(res, 500, 'Internal server error', correlationId);
      });
      return;
    }
    this.portal.handle(req, res, correlationId);
  }
}

/** What the health module and the app's providers share: the root logger, Redis, the readiness watcher. */
@Module({})
class CoreModule {
  static forRoot(config: Config, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: DEV_MODE, useValue: config.devMode },
        { provide: LIMITER_REDIS, useFactory: () => createLimiterRedis(config.REDIS_URL, logger) },
        // The replicas of every service: the proxy and the readiness watcher both steer it.
        { provide: UpstreamPool, useFactory: () => new UpstreamPool(config.upstreams) },
        {
          provide: ReadinessWatcher,
          inject: [LIMITER_REDIS, UpstreamPool],
          useFactory: (redis: Redis, pool: UpstreamPool) => {
            const watcher = new ReadinessWatcher(redis, pool);
            watcher.start();
            return watcher;
          },
        },
      ],
      exports: [ROOT_LOGGER, DEV_MODE, LIMITER_REDIS, ReadinessWatcher, UpstreamPool],
    };
  }
}

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: Config, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        // JSON logs with the correlation id of every request, proxied or not.
        loggingModule(logger),
        MetricsModule.forRoot('gateway'),
        HealthModule.forRoot({
          inject: [ReadinessWatcher],
          useFactory: (watcher: ReadinessWatcher) => watcher.probes(),
        }),
      ],
      controllers: [DocsController],
      providers: [
        {
          provide: GatewayMetrics,
          inject: [MetricsService],
          useFactory: (m: MetricsService) => new GatewayMetrics(m.registry),
        },
        {
          provide: RateLimits,
          inject: [LIMITER_REDIS, GatewayMetrics],
          useFactory: (redis: Redis, metrics: GatewayMetrics) =>
            new RateLimits(redis, config.rateLimits, config.rateLimitKeyPrefix, logger, (g) => {
              metrics.rateLimitDegraded(g);
            }),
        },
        {
          provide: Upstreams,
          inject: [GatewayMetrics, UpstreamPool],
          useFactory: (metrics: GatewayMetrics, pool: UpstreamPool) =>
            new Upstreams(
              {
                pool,
                timeoutMs: config.UPSTREAM_TIMEOUT_MS,
                streamIdleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
              },
              logger,
              metrics,
            ),
        },
        {
          provide: ApiGateway,
          inject: [RateLimits, Upstreams, GatewayMetrics],
          useFactory: (limits: RateLimits, upstreams: Upstreams, metrics: GatewayMetrics) =>
            new ApiGateway(config, new JwtVerifier({ jwks: config.AUTH_JWKS_URL }), limits, upstreams, metrics, logger),
        },
        { provide: Portal, useValue: new Portal(config.PORTAL_DIR) },
        {
          provide: DocsService,
          inject: [UpstreamPool],
          useFactory: (pool: UpstreamPool) => new DocsService(pool, config.DOCS_CACHE_SEC, logger),
        },
        EdgeMiddleware,
        Closer,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(EdgeMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}

/** The root as a class (Nest's factory takes a module class; the dynamic module carries the configuration). */
export function gatewayApp(config: Config, logger: Logger): Type {
  @Module({ imports: [AppModule.forRoot(config, logger)] })
  class GatewayApp {}
  return GatewayApp;
}
