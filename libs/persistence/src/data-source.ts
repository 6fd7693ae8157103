import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';

export interface ServiceDataSourceOptions {
  /** postgres:// URL of the service's own database: the role its pool works as (data, never schema). */
  url: string;
  /**
   * The same database as the role that owns its schema, for migrations only (deploy/local/db-roles.ts); default:
   * `url`, where one role does both.
   */
  migrationUrl?: string;
  /** Shown in pg_stat_activity, so an operator sees which service holds a connection. */
  applicationName: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  poolSize?: number;
  logging?: boolean;
}

/** The connection startup option that makes READ COMMITTED the session default (the space escaped, as libpq needs). */
export const READ_COMMITTED_OPTION = '-c default_transaction_isolation=read\\ committed';

/** TypeORM options every hoso service uses: migrations, never `synchronize`. */
export function dataSourceOptions(opts: ServiceDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    applicationName: opts.applicationName,
    entities: opts.entities ?? [],
    migrations: opts.migrations ?? [],
    migrationsTableName: 'typeorm_migrations',
    // Schema changes only through reviewed migrations: synchronize would silently alter production tables.
    synchronize: false,
    migrationsRun: false,
    logging: opts.logging ? ['error', 'warn', 'migration'] : ['error'],
    poolSize: opts.poolSize ?? 10,
    extra: {
      // Fail fast when the server is gone instead of hanging a request.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      // Every connection of the pool is READ COMMITTED whatever the server, database or role default, so a
      // transaction that relies on it (the consumer's flush, the outbox relay) starts with one statement instead of
      // START TRANSACTION plus SET TRANSACTION ISOLATION LEVEL: one round trip less per transaction.
      options: READ_COMMITTED_OPTION,
    },
  };
}

export function createDataSource(opts: ServiceDataSourceOptions): DataSource {
  return new DataSource(dataSourceOptions(opts));
}

/** Creates `database` on the server of `adminUrl` when it does not exist (idempotent, safe under races). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  assertIdentifier(database);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${database}"`);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === '42P04' || (e as { code?: string }).code === '23505') return false;
      throw e;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  assertIdentifier(database);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
}

/**
 * Runs pending migrations of `opts` as the schema's owner (`migrationUrl`, else `url`) on one connection of its own,
 * closed before returning: the owner's rights (CREATE, ALTER, DROP) are held only while migrating, never by the pool
 * that serves requests.
 */
export async function migrateDatabase(opts: ServiceDataSourceOptions): Promise<string[]> {
  return runMigrations(
    createDataSource({
      ...opts,
      url: opts.migrationUrl ?? opts.url,
      applicationName: `${opts.applicationName}-migrations`,
      poolSize: 1,
    }),
  );
}

/**
 * The names of `ds`'s migrations not yet applied to its database, in order (all of them on a database never
 * migrated). Read-only: a pool of the runtime role can ask.
 */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const table = ds.options.migrationsTableName ?? 'migrations';
  let applied: Set<string>;
  try {
    const rows = await ds.query<{ name: string }[]>(`SELECT name FROM ${table}`);
    applied = new Set(rows.map((r) => r.name));
  } catch (e) {
    if ((e as { code?: string }).code !== '42P01') throw e; // undefined_table: nothing was ever migrated
    applied = new Set();
  }
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

/** The advisory lock every migration run of a database holds: one run at a time per database. */
export const MIGRATION_LOCK = 'hoso:migrations';

/**
 * Runs pending migrations in one transaction each; returns the names applied. Replicas of a service start together,
 * and two runs reading the same pending list would both apply it (the second failing on what the first creates):
 * each run holds a session advisory lock, on a connection of its own (the data source's pool may have just one), so
 * the second waits and then finds nothing pending. The lock goes with its connection if the process dies.
 */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const url = (ds.options as { url?: string }).url;
  const lock = url ? new Client({ connectionString: url, application_name: 'hoso-migration-lock' }) : null;
  if (lock) {
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    } catch (e) {
      await lock.end().catch(() => undefined);
      throw e;
    }
  }
  const wasInitialized = ds.isInitialized;
  try {
    if (!wasInitialized) await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      if (!wasInitialized) await ds.destroy();
    }
  } finally {
    // Ending the session releases its lock.
    await lock?.end().catch(() => undefined);
  }
}
