import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigError, DEV_MODE_VAR } from '@hoso/config';
import {
  createDataSource,
  migrateDatabase,
  pendingMigrations,
  runMigrations,
  runtimeRoleProblems,
  type ServiceDataSourceOptions,
} from '@hoso/persistence';

export interface DatabaseModuleOptions extends ServiceDataSourceOptions {
  /**
   * Apply pending migrations at start-up (development, tests, single-instance deployments). False: they were run
   * before the start (the service's migrate command, a Kubernetes Job), and a start with any still pending is refused.
   */
  migrate?: boolean;
  /**
   * Outside development mode the pool must run as the service's runtime role (data rights only): the start is
   * refused, naming `variable`, when it connects as a superuser or as a role that may change the schema.
   */
  runtimeRole?: { required: boolean; variable: string };
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
            // Checked before anything runs on the pool (migrations included): a refused start changes nothing.
            if (options.runtimeRole?.required) {
              const problems = await runtimeRoleProblems(ds);
              if (problems.length) {
                await ds.destroy();
                const v = options.runtimeRole.variable;
                throw new ConfigError(
                  problems.map(
                    (p) =>
                      `${v}: ${p}; without ${DEV_MODE_VAR}=1 the pool must use the service's runtime role and ` +
                      `migrations its owner role (${v.replace(/_URL$/, '_MIGRATION_URL')}); ` +
                      'npm run infra -- db-roles creates both (docs/security.md, "Database roles")',
                  ),
                );
              }
            }
            if (options.migrate && !separateOwner) await runMigrations(ds);
            if (options.migrate === false) {
              // Code newer than its schema would fail request by request; refusing the start says why, once.
              const pending = await pendingMigrations(ds);
              if (pending.length) {
                await ds.destroy();
                throw new ConfigError([
                  `MIGRATE_ON_START=false and ${pending.length} migration(s) not applied (${pending.join(', ')}): ` +
                    'run the service\'s migrate command first (docs/operations.md, "Migrations")',
                ]);
              }
            }
            return ds;
          },
        },
        DataSourceCloser,
      ],
      exports: [DataSource],
    };
  }
}
