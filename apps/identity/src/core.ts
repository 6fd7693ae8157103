import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedis } from '@hoso/nest-kit';
import { CLOCK, type Clock } from './clock';
import type { Config } from './config';

export const CONFIG = Symbol('IDENTITY_CONFIG');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

/** What every feature of the service may inject: config, clock, the root logger (for audit lines), Redis. */
@Module({})
export class CoreModule {
  static forRoot(config: Config, logger: Logger, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: CLOCK, useValue: clock },
        { provide: REDIS, useFactory: () => createRedis(config.REDIS_URL, 'identity') },
        RedisCloser,
      ],
      exports: [CONFIG, ROOT_LOGGER, CLOCK, REDIS],
    };
  }
}
