import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import { CONFIG, ROOT_LOGGER } from '../core';
import { seedRegistry } from './registry-seeder';

/** Seeds an empty registry at start-up, before the consumer starts (onModuleInit runs before any bootstrap hook). */
@Injectable()
export class RegistrySeederService implements OnModuleInit {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await seedRegistry(this.ds, {
      count: this.config.REGISTRY_SEED_COUNT,
      seed: this.config.REGISTRY_SEED,
      logger: this.logger,
    });
  }
}
