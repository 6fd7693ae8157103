import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_LOGGER } from '../logger.token';
import { seedReferenceData } from './reference-data';

@Injectable()
class StartupSeeder implements OnModuleInit {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /** Before the HTTP server listens, so the first catalog read already sees the data. */
  async onModuleInit(): Promise<void> {
    const result = await seedReferenceData(this.ds);
    this.logger.info(result, 'reference data upserted');
  }
}

/** Upserts the catalog and administrative units at start-up (SEED_ON_START). */
@Module({ providers: [StartupSeeder] })
export class SeedModule {}
