import type { DataSourceOptions } from 'typeorm';
import { migrateDatabase } from './data-source';

interface FakeDataSource {
  options: DataSourceOptions & { url?: string; poolSize?: number; applicationName?: string };
  isInitialized: boolean;
  events: string[];
}

const mockCreated: FakeDataSource[] = [];
const mockFailure: { error: Error | null } = { error: null };
/** What the migration lock's own connection did, in order, beside the data source's events. */
const mockLock: string[] = [];

jest.mock('pg', () => ({
  Client: class {
    constructor(readonly options: { connectionString: string }) {}
    connect() {
      mockLock.push(`connect ${this.options.connectionString}`);
      return Promise.resolve();
    }
    query(sql: string) {
      mockLock.push(sql);
      return Promise.resolve({ rows: [] });
    }
    end() {
      mockLock.push('end');
      return Promise.resolve();
    }
  },
}));

// No server in a unit test: the DataSource records what it was asked to do instead.
jest.mock('typeorm', () => ({
  DataSource: class {
    isInitialized = false;
    events: string[] = [];
    constructor(readonly options: DataSourceOptions) {
      mockCreated.push(this);
    }
    initialize() {
      this.isInitialized = true;
      this.events.push('initialize');
      return Promise.resolve(this);
    }
    runMigrations(o: { transaction: string }) {
      this.events.push(`migrate:${o.transaction}`);
      // Checked here: the lock must be held while the migrations run.
      this.events.push(
        `lock held: ${mockLock.some((q) => q.startsWith('SELECT pg_advisory_lock')) && !mockLock.includes('end')}`,
      );
      return mockFailure.error
        ? Promise.reject(mockFailure.error)
        : Promise.resolve([{ name: 'First1700000000000' }, { name: 'Second1700000000001' }]);
    }
    destroy() {
      this.isInitialized = false;
      this.events.push('destroy');
      return Promise.resolve();
    }
  },
}));

const RUNTIME = 'postgres://hoso_identity_app:app-password@db:5432/hoso_identity';
const OWNER = 'postgres://hoso_identity_owner:owner-password@db:5432/hoso_identity';

describe('migrateDatabase', () => {
  beforeEach(() => {
    mockCreated.length = 0;
    mockFailure.error = null;
    mockLock.length = 0;
  });

  it('migrates as the owner on one connection of its own, closed before it returns', async () => {
    const applied = await migrateDatabase({
      url: RUNTIME,
      migrationUrl: OWNER,
      applicationName: 'identity-seed',
      migrations: [],
    });
    expect(applied).toEqual(['First1700000000000', 'Second1700000000001']);
    expect(mockCreated).toHaveLength(1);
    const [ds] = mockCreated as [FakeDataSource];
    expect(ds.options).toMatchObject({ url: OWNER, poolSize: 1, applicationName: 'identity-seed-migrations' });
    expect(ds.events).toEqual(['initialize', 'migrate:each', 'lock held: true', 'destroy']);
  });

  it('migrates as the runtime role when no migration URL is given', async () => {
    await migrateDatabase({ url: RUNTIME, applicationName: 'case-tracking-rekey', migrations: [] });
    expect(mockCreated.map((ds) => ds.options.url)).toEqual([RUNTIME]);
    expect(mockCreated[0]?.events).toEqual(['initialize', 'migrate:each', 'lock held: true', 'destroy']);
  });

  it('closes the owner connection when a migration fails', async () => {
    mockFailure.error = new Error('permission denied for schema public');
    await expect(
      migrateDatabase({ url: RUNTIME, migrationUrl: OWNER, applicationName: 'intake-seed', migrations: [] }),
    ).rejects.toThrow('permission denied for schema public');
    expect(mockCreated[0]?.events).toEqual(['initialize', 'migrate:each', 'lock held: true', 'destroy']);
    expect(mockCreated[0]?.isInitialized).toBe(false);
    // The lock's connection is closed too (which releases the lock).
    expect(mockLock[mockLock.length - 1]).toBe('end');
  });

  it('holds the migration lock, on a connection of its own as the migrating role, while the migrations run', async () => {
    await migrateDatabase({ url: RUNTIME, migrationUrl: OWNER, applicationName: 'payment-seed', migrations: [] });
    expect(mockLock).toEqual([`connect ${OWNER}`, 'SELECT pg_advisory_lock(hashtext($1))', 'end']);
    expect(mockCreated[0]?.events).toContain('lock held: true');
  });
});
