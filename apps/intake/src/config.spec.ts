import { ConfigError } from '@hoso/config';
import { loadConfig } from './config';

const REDIS_URL = 'redis://intake:a-long-redis-password@redis.internal:6379';
const KAFKA = { KAFKA_USERNAME: 'intake', KAFKA_PASSWORD: 'a-long-kafka-password' };

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
    expect(loadConfig({ DATABASE_URL: 'postgres://intake:pw@db:5432/postgres', REDIS_URL, ...KAFKA }).databaseUrl).toBe(
      'postgres://intake:pw@db:5432/hoso_intake',
    );
    expect(
      loadConfig({ INTAKE_DATABASE_URL: 'postgres://intake:pw@db:5432/intake', REDIS_URL, ...KAFKA }).databaseUrl,
    ).toBe('postgres://intake:pw@db:5432/intake');
  });

  it('refuses a REDIS_URL without a password outside development mode, and takes it in development mode', () => {
    const own = { DATABASE_URL: 'postgres://intake:pw@db:5432/postgres' };
    expect(() => loadConfig({ ...own, REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...own, REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(
      /REDIS_URL: must name the service's Redis user and password outside development mode \(HOSO_DEV_MODE=1\)/,
    );
    expect(loadConfig({ ...own, REDIS_URL, ...KAFKA }).REDIS_URL).toBe(REDIS_URL);
    expect(loadConfig({ HOSO_DEV_MODE: '1', REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it('defaults the upload quota and purge, and refuses settings that would break uploads', () => {
    const dev = { HOSO_DEV_MODE: '1' };
    expect(loadConfig(dev)).toMatchObject({
      ATTACHMENT_QUOTA_BYTES: 100 * 1024 * 1024,
      ATTACHMENT_QUOTA_FILES: 50,
      ATTACHMENT_UNATTACHED_TTL_SEC: 86_400,
      ATTACHMENT_PURGE_EVERY_SEC: 300,
      ATTACHMENT_PURGE_BATCH: 500,
    });
    expect(() => loadConfig({ ...dev, ATTACHMENT_UNATTACHED_TTL_SEC: '60' })).toThrow(
      /ATTACHMENT_UNATTACHED_TTL_SEC: must be at least 3600 \(an hour\) \(got "60"\)/,
    );
    expect(() => loadConfig({ ...dev, ATTACHMENT_QUOTA_FILES: '0' })).toThrow(/ATTACHMENT_QUOTA_FILES/);
    expect(() => loadConfig({ ...dev, ATTACHMENT_MAX_BYTES: '2000', ATTACHMENT_QUOTA_BYTES: '1999' })).toThrow(
      /ATTACHMENT_QUOTA_BYTES: must be at least ATTACHMENT_MAX_BYTES \(2000\) \(got 1999\)/,
    );
    expect(
      loadConfig({ ...dev, ATTACHMENT_MAX_BYTES: '2000', ATTACHMENT_QUOTA_BYTES: '2000' }).ATTACHMENT_QUOTA_BYTES,
    ).toBe(2000);
  });
});
