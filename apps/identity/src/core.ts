import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLOCK, type Clock } from './clock';
import type { Config } from './config';

export const CONFIG = Symbol('IDENTITY_CONFIG');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** What every feature of the service may inject: config, clock, the root logger (for audit lines). */
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
      ],
      exports: [CONFIG, ROOT_LOGGER, CLOCK],
    };
  }
}
