import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

describe('intake config', () => {
  it('defaults the database URL in development mode only', () => {
    expect(loadConfig({ HOSO_DEV_MODE: '1' }).databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/hoso_intake');
    for (const env of [{}, { NODE_ENV: 'production' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(
        /DATABASE_URL \(or INTAKE_DATABASE_URL\): required \(its development default applies only with HOSO_DEV_MODE=1\)/,
      );
    }
  });

  it('starts outside development mode with either database URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://intake:pw@db:5432/postgres' }).databaseUrl).toBe(
      'postgres://intake:pw@db:5432/hoso_intake',
    );
    expect(loadConfig({ INTAKE_DATABASE_URL: 'postgres://intake:pw@db:5432/intake' }).databaseUrl).toBe(
      'postgres://intake:pw@db:5432/intake',
    );
  });
});
