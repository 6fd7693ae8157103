import type { DataSourceOptions } from 'typeorm';
import { migrateDatabase } from './data-source';

interface FakeDataSource {
  options: DataSourceOptions & { url?: string; poolSize?: number; applicationName?: string };
  isInitialized: boolean;
  events: string[];
}

const mockCreated: FakeDataSource[] = [];
const mockFailure: { error: Error | null } = { error: null };

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
    expect(ds.events).toEqual(['initialize', 'migrate:each', 'destroy']);
  });

  it('migrates as the runtime role when no migration URL is given', async () => {
    await migrateDatabase({ url: RUNTIME, applicationName: 'case-tracking-rekey', migrations: [] });
    expect(mockCreated.map((ds) => ds.options.url)).toEqual([RUNTIME]);
    expect(mockCreated[0]?.events).toEqual(['initialize', 'migrate:each', 'destroy']);
  });

  it('closes the owner connection when a migration fails', async () => {
    mockFailure.error = new Error('permission denied for schema public');
    await expect(
      migrateDatabase({ url: RUNTIME, migrationUrl: OWNER, applicationName: 'intake-seed', migrations: [] }),
    ).rejects.toThrow('permission denied for schema public');
    expect(mockCreated[0]?.events).toEqual(['initialize', 'migrate:each', 'destroy']);
    expect(mockCreated[0]?.isInitialized).toBe(false);
  });
});
