import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations, type ServiceDataSourceOptions } from '@hoso/persistence';

export interface DatabaseModuleOptions extends ServiceDataSourceOptions {
  /** Apply pending migrations at start-up (development, tests, single-instance deployments). */
  migrate?: boolean;
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Runs after every `beforeApplicationShutdown` hook (the messaging module drains there first). */
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** The service's own database as an injectable TypeORM `DataSource`, migrated on start when asked. */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = createDataSource(options);
            await ds.initialize();
            if (options.migrate) await runMigrations(ds);
            return ds;
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
