import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource, migrateDatabase, runMigrations, type ServiceDataSourceOptions } from '@hoso/persistence';

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
            // With an owner role of its own, migrations run first on a short-lived connection as that role, so the
            // pool below (the runtime role: data only) never holds the right to change the schema.
            const separateOwner = options.migrationUrl !== undefined && options.migrationUrl !== options.url;
            if (options.migrate && separateOwner) await migrateDatabase(options);
            const ds = createDataSource(options);
            await ds.initialize();
            if (options.migrate && !separateOwner) await runMigrations(ds);
            return ds;
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
